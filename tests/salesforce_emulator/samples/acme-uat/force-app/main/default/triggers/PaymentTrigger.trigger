trigger PaymentTrigger on Payment__c (after insert) {
    new PaymentTriggerHandler().run();
}
