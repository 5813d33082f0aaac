export { hoursProblems, isBusinessOpen, isOnLeave, isWithinHours, leaveProblems, localClock } from './hours.js';
export { onCallAt, overrideProblems, rotationProblems, shiftsBetween } from './rotation.js';
export type {
  BusinessHours,
  Leave,
  LocalClock,
  OnCallEntry,
  OnCallSchedule,
  Rotation,
  RotationOverride,
  Shift,
  Weekday,
  WeeklyHours,
} from './types.js';
