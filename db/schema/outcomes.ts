// Tables of the outcomes module.
export {};
