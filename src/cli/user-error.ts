/** A mistake or a missing prerequisite the user can fix: printed as its message, no stack. */
export class UserError extends Error {}

/** A command line the CLI cannot read: exit code 2, as shells and most CLIs use for it. */
export class UsageError extends UserError {}
