/**
 * For tests of how long delivery holds the event loop: a setImmediate chain counts the loop's turns while the
 * application's work runs, and each piece of work notes whether a turn came since the one before.
 */
export interface TurnWatch {
  /** The application's work: `ms` of CPU, then the note. */
  work(ms: number): void
  /** The most pieces of work in a row that saw no turn of the event loop between them. */
  readonly longestRunWithoutTurn: number
  /** Turns of the event loop counted so far. */
  readonly turns: number
  stop(): void
}

export function watchTurns(): TurnWatch {
  let turns = 0
  let watching = true
  const countTurns = (): void => {
    turns++
    if (watching) setImmediate(countTurns)
  }
  setImmediate(countTurns)
  let lastTurns = -1
  let run = 0
  let longest = 0
  return {
    work(ms) {
      const until = performance.now() + ms
      while (performance.now() < until);
      run = turns === lastTurns ? run + 1 : 0
      lastTurns = turns
      longest = Math.max(longest, run)
    },
    get longestRunWithoutTurn() {
      return longest
    },
    get turns() {
      return turns
    },
    stop() {
      watching = false
    },
  }
}
