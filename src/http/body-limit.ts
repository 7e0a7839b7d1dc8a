/** The largest request body accepted; a larger one is refused with 413 before it is parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024

/** The limit as people read it, "64 KiB". */
export const BODY_LIMIT_TEXT = `${BODY_LIMIT_BYTES / 1024} KiB`
