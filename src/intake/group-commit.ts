/**
 * Group commit for intake: "a 2xx means durable" without a disk flush per request. Each
 * request's event goes into the next transaction with every other request that arrived while
 * the previous one was committing; its promise settles after its own batch committed (or
 * failed, and the request answers 503).
 */

import type { EventStore, InsertEventResult, NewEvent } from '../store/event-store.js';
import { GroupCommit } from '../store/group-commit.js';

export class GroupCommitter extends GroupCommit<NewEvent, InsertEventResult> {
  constructor(
    store: EventStore,
    onCommitted: (results: InsertEventResult[], batch: NewEvent[]) => void,
    maxBatch = 512,
  ) {
    super((batch) => store.insertEvents(batch), onCommitted, maxBatch);
  }
}
