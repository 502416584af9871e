/** A mistake or a missing prerequisite the user can fix: printed as its message, no stack. */
export class UserError extends Error {}
