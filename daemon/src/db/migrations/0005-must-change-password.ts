// A password someone else chose (the administrator's, printed once at the first start) is to be replaced
// by its owner at the next login: the web UI asks for it until it is done.
export const sql = `
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
`;
