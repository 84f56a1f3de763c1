export function formatCurrency(amount, currency = "EUR") {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(amount);
}
