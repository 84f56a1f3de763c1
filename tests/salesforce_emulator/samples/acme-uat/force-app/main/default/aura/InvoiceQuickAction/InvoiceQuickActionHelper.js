({
    updateStatus: function (component, status) {
        $A.get("e.force:closeQuickAction").fire();
    }
})
