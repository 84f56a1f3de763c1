import { LightningElement, api } from "lwc";

export default class AccountHealthCard extends LightningElement {
    @api recordId;
    tier = "Gold";
    churnRisk = 0;
}
