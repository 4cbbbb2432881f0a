/** "Ignore until N more events" choices offered on the issue page (none chosen: until changed). */
export const IGNORE_COUNTS = [10, 100, 1000] as const;
