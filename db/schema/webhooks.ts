// Tables of the webhooks module.
export {};
