// Tables of the materials module.
export {};
