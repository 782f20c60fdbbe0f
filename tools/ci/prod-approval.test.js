// node --test tools/ci/prod-approval.test.js (run by tests/workflows)
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const a = require('./prod-approval.js');

const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const fp = c => c.repeat(64);
const body = a.requestBody({
  sha, requester: 'pusher', runUrl: 'https://example.invalid/run',
  plans: {
    'platform-prod': { summary: '### Pulumi preview for `platform-prod`: ...', fingerprint: fp('1'), changes: 'false' },
    prod: { summary: '### Pulumi preview for `prod`: ...', fingerprint: fp('2'), changes: 'true' },
  },
});
const check = over => a.checkApproval({ comment: `/approve ${sha.slice(0, 7)}`, commenter: 'Alice', approverList: 'alice, @bob', issueBody: body, mainSha: sha, ...over });

test('the request round-trips', () => {
  assert.deepStrictEqual(a.parseRequest(body), { sha, requester: 'pusher', fingerprints: { 'platform-prod': fp('1'), prod: fp('2') } });
  assert.match(body, /### Pulumi preview for `prod`/);
});

test('an approver approves the current commit', () => {
  const r = check({});
  assert.strictEqual(r.ok, true, r.reason);
  assert.strictEqual(r.request.fingerprints.prod, fp('2'));
  assert.strictEqual(check({ comment: `/approve ${sha}`, commenter: 'bob' }).ok, true);
});

test('refusals', () => {
  const cases = [
    [{ commenter: 'mallory' }, /not in PROD_APPROVERS/],
    [{ commenter: 'pusher', approverList: 'pusher,alice' }, /cannot approve/],
    [{ authors: ['ALICE'] }, /cannot approve/],
    [{ comment: '/approve 0000000' }, /names commit 0000000/],
    [{ comment: 'LGTM' }, /not `\/approve/],
    [{ mainSha: 'f'.repeat(40) }, /main has moved/],
    [{ issueBody: 'edited by hand' }, /no approval request/],
    [{ issueBody: body.replace(fp('2'), 'none') }, /preview of prod failed/],
  ];
  for (const [over, reason] of cases) {
    const r = check(over);
    assert.strictEqual(r.ok, false, JSON.stringify(over));
    assert.match(r.reason, reason);
  }
});

test('approvers list', () => {
  assert.deepStrictEqual(a.approvers(' Alice,@bob\ncarol '), ['alice', 'bob', 'carol']);
  assert.deepStrictEqual(a.approvers(''), []);
});
