({
    markPaid: function (component, event, helper) {
        helper.updateStatus(component, "Paid");
    }
})
