import { badRequest } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import type { UserInfo } from '../authn/user-info.js';

/**
 * SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview answered without storage.
 * Every authenticated user may do everything until RBAC lands (its own issue).
 */
export function answerReview(resource: string, body: KubeObject, user: UserInfo): KubeObject {
  switch (resource) {
    case 'selfsubjectaccessreviews':
      return {
        ...body,
        metadata: body.metadata ?? {},
        status: { allowed: true, reason: 'skiff allows all authenticated users (RBAC not yet enforced)' },
      };
    case 'selfsubjectrulesreviews':
      return {
        ...body,
        metadata: body.metadata ?? {},
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
    case 'selfsubjectreviews':
      return {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        metadata: { creationTimestamp: null } as unknown as KubeObject['metadata'],
        status: {
          userInfo: { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra },
        },
      };
    default:
      throw badRequest(`unknown review resource ${resource}`);
  }
}
