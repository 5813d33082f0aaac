/** The errors the Store raises that callers act on (each a class, tested with instanceof). */

/** Raised inside a commit when what decide() saw no longer holds; the caller re-decides. */
export class CommitConflict extends Error {
  constructor(readonly why: 'capacity' | 'cursor' | 'task_exists' | 'task_changed') {
    super(`commit conflict: ${why}`);
    this.name = 'CommitConflict';
  }
}

/** The transition is not possible from the task's current status (e.g. acknowledging a queued task). */
export class TaskStateConflict extends Error {
  constructor(
    readonly taskId: string,
    readonly status: string,
    readonly action: string,
  ) {
    super(`cannot ${action} task ${taskId}: it is ${status}`);
    this.name = 'TaskStateConflict';
  }
}

/** Raised when a worker's lease on an event was lost (another worker reclaimed it). */
export class LeaseLost extends Error {
  constructor(readonly eventId: string) {
    super(`lease lost on event ${eventId}`);
    this.name = 'LeaseLost';
  }
}

/** The task named does not exist for this tenant (an override or transition of an unknown task). */
export class TaskNotFound extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} not found`);
    this.name = 'TaskNotFound';
  }
}

/**
 * A store access through the main handle from inside an open transaction's async context
 * (src/store/open-transactions.ts). On SQLite it would wait for the transaction that waits for
 * it, freezing the process; everything the transaction needs goes through its handle instead.
 */
export class StrayStoreAccess extends Error {
  constructor(readonly transaction: string) {
    super(
      `store accessed through the main connection while a transaction (${transaction}) is open in this async context: ` +
        'read it before the transaction or through its handle (on SQLite this would deadlock)',
    );
    this.name = 'StrayStoreAccess';
  }
}
