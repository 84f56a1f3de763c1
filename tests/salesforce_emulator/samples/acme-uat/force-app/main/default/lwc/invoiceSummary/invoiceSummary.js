import { LightningElement, api, wire } from "lwc";
import openInvoices from "@salesforce/apex/InvoiceController.openInvoices";

export default class InvoiceSummary extends LightningElement {
    @api recordId;

    @wire(openInvoices, { accountId: "$recordId" })
    invoices;
}
