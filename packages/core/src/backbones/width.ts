/** Channels after a width multiplier (at least 1). */
export const scaled = (channels: number, width = 1) => Math.max(1, Math.round(channels * width));
