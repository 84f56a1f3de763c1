trigger InvoiceTrigger on Invoice__c (before insert, after update) {
    new InvoiceTriggerHandler().run();
}
