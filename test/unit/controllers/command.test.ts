import { describe, expect, it } from 'vitest';
import { controllerManagerCommand } from '../../../bin/commands/controller-manager.js';

function parse(args: string[]): Record<string, unknown> {
  const cmd = controllerManagerCommand();
  cmd.action(() => {});
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

describe('skiff controller-manager flags', () => {
  it('defaults to all default controllers with leader election', () => {
    expect(parse([])).toMatchObject({ controllers: '*', leaderElect: true });
  });

  it('takes --kubeconfig, --controllers and --leader-elect=false', () => {
    expect(
      parse(['--kubeconfig', '/tmp/k', '--controllers', '*,-podgc', '--leader-elect', 'false']),
    ).toMatchObject({
      kubeconfig: '/tmp/k',
      controllers: '*,-podgc',
      leaderElect: false,
    });
    expect(parse(['--leader-elect'])).toMatchObject({ leaderElect: true });
  });
});
