import { StatusError } from '../errors.js';

/**
 * The answers kube-apiserver gives when a patch cannot be applied (handlers/patch.go):
 * a malformed body is 400 BadRequest; a JSON patch that does not apply, and the strategic
 * merge errors it classifies as such, are a generic 422 whose cause carries the detail.
 */
export function patchDoesNotApply(detail: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });
}

/**
 * Strategic merge errors upstream leaves unclassified reach the client as a 500 carrying the
 * bare message (`map: ... does not contain declared merge key: name`).
 */
export function unclassifiedPatchError(message: string): StatusError {
  return new StatusError(500, 'InternalError', message);
}
