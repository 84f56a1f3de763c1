import { LightningElement, api } from "lwc";

export default class PaymentForm extends LightningElement {
    @api invoiceId;
}
