import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsEvent } from 'kubernetes-types/events/v1.js';
import type { FieldError } from '../errors.js';
import { invalidValue, notSupported, required } from './field-errors.js';

const EVENT_TYPES = ['Normal', 'Warning'];

/** core/v1 Events, as old clients write them: the involved object must sit in the event's namespace. */
export function validateCoreEvent(ev: CoreEvent): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const involved = ev.involvedObject;
  if (!involved) return [required('involvedObject')];
  if (involved.namespace && involved.namespace !== ns) {
    errs.push(invalidValue('involvedObject.namespace', involved.namespace, 'does not match event.namespace'));
  }
  if (ev.type !== undefined && ev.type !== '' && !EVENT_TYPES.includes(ev.type)) {
    errs.push(notSupported('type', ev.type, EVENT_TYPES));
  }
  if (ev.reportingComponent !== undefined && ev.reportingComponent.length > 128) {
    errs.push(invalidValue('reportingController', ev.reportingComponent, 'can have at most 128 characters'));
  }
  return errs;
}

/** events.k8s.io/v1 Events: the new API requires who reported what. */
export function validateEventsEvent(ev: EventsEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (!ev.eventTime) errs.push(required('eventTime'));
  if (!ev.reportingController) errs.push(required('reportingController'));
  if (!ev.reportingInstance) errs.push(required('reportingInstance'));
  if (!ev.action) errs.push(required('action'));
  if (!ev.reason) errs.push(required('reason'));
  if (!ev.type) errs.push(required('type'));
  else if (!EVENT_TYPES.includes(ev.type)) errs.push(notSupported('type', ev.type, EVENT_TYPES));
  if ((ev.note ?? '').length > 1024) errs.push(invalidValue('note', '', 'can have at most 1024 characters'));
  const regarding = ev.regarding;
  const ns = ev.metadata?.namespace ?? '';
  if (regarding?.namespace && regarding.namespace !== ns) {
    errs.push(invalidValue('regarding.namespace', regarding.namespace, 'does not match event.namespace'));
  }
  return errs;
}
