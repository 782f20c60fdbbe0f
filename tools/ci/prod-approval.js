// Production approval that works on every GitHub plan, through an issue.
//
// Required reviewers on environments are available to private repositories
// only on GitHub Enterprise, so the approval is an issue instead:
//
//   1. After every merge to main, deploy.yml previews platform-prod and prod
//      with the read-only role and opens (or rewrites) the one open issue
//      labelled `prod-approval`: the commit, both summaries and the plans'
//      fingerprints.
//   2. An approver (repository variable PROD_APPROVERS, comma-separated
//      logins) who did not push the commit comments `/approve <commit>`.
//   3. prod-approve.yml checks that comment here and, when it holds, updates
//      platform-prod then prod with the deploy role, each refusing a plan
//      whose fingerprint differs from the approved one (tools/ci/deploy.sh).
//
// Used from actions/github-script: require(`${process.env.GITHUB_WORKSPACE}/tools/ci/prod-approval.js`).
// The pure functions are tested by tools/ci/prod-approval.test.js.
'use strict';

const LABEL = 'prod-approval';
const STACKS = ['platform-prod', 'prod'];

// requestBody renders the approval issue. plans maps stack -> {summary, fingerprint, changes}.
function requestBody({ sha, requester, runUrl, plans }) {
  const lines = [
    `<!-- ack-platform-prod-approval sha=${sha} requester=${requester} -->`,
  ];
  for (const stack of STACKS) {
    lines.push(`<!-- fingerprint ${stack}=${plans[stack].fingerprint} -->`);
  }
  lines.push(
    '',
    `Deploying commit \`${sha}\` (pushed by @${requester}) to **platform-prod** and **prod** needs an approval.`,
    '',
    `Read both previews below, then approve by commenting \`/approve ${sha.slice(0, 7)}\`.`,
    'Approvers are listed in the repository variable `PROD_APPROVERS`; whoever pushed the commit cannot approve it.',
    'The deployment applies exactly these plans: when a fresh preview differs, it stops and asks again.',
    'Previews older than you would like? Run the `deploy` workflow again (Actions → deploy → Run workflow): it rewrites this issue.',
    '',
  );
  for (const stack of STACKS) {
    lines.push(plans[stack].summary.trimEnd(), '');
  }
  lines.push(`<sub>[Previews made by this workflow run](${runUrl})</sub>`);
  return lines.join('\n');
}

// parseRequest reads the commit, requester and fingerprints back from an issue body.
function parseRequest(body) {
  const head = /<!-- ack-platform-prod-approval sha=([0-9a-f]{40}) requester=([A-Za-z0-9-]+(?:\[bot\])?) -->/.exec(body || '');
  if (!head) {
    return null;
  }
  const fingerprints = {};
  for (const stack of STACKS) {
    const m = new RegExp(`<!-- fingerprint ${stack}=([0-9a-f]{64}|none) -->`).exec(body);
    if (!m) {
      return null;
    }
    fingerprints[stack] = m[1];
  }
  return { sha: head[1], requester: head[2], fingerprints };
}

// approvers parses PROD_APPROVERS ("alice, bob") into lower-case logins.
function approvers(list) {
  return (list || '').split(/[\s,]+/).map(s => s.trim().replace(/^@/, '').toLowerCase()).filter(Boolean);
}

// checkApproval decides on one comment. authors are further logins that
// cannot approve (the commit's author, read from the API rather than from
// the editable issue body). It returns {ok, reason, request}.
function checkApproval({ comment, commenter, approverList, issueBody, mainSha, authors = [] }) {
  const m = /^\/approve\s+([0-9a-f]{7,40})\s*$/m.exec(comment || '');
  if (!m) {
    return { ok: false, reason: 'The comment is not `/approve <commit>`.' };
  }
  const request = parseRequest(issueBody);
  if (!request) {
    return { ok: false, reason: 'This issue carries no approval request (its first lines were edited?).' };
  }
  const who = (commenter || '').toLowerCase();
  if (!approvers(approverList).includes(who)) {
    return { ok: false, reason: `@${commenter} is not in PROD_APPROVERS.` };
  }
  if ([request.requester, ...authors].some(l => (l || '').toLowerCase() === who)) {
    return { ok: false, reason: `@${commenter} pushed this commit and cannot approve it.` };
  }
  if (!request.sha.startsWith(m[1])) {
    return { ok: false, reason: `The approval names commit ${m[1]}, but this request is for ${request.sha.slice(0, 7)}.` };
  }
  if (request.sha !== mainSha) {
    return { ok: false, reason: `main has moved on to ${String(mainSha).slice(0, 7)}; a new request follows that commit's previews.` };
  }
  for (const stack of STACKS) {
    if (request.fingerprints[stack] === 'none') {
      return { ok: false, reason: `The preview of ${stack} failed; there is no plan to approve.` };
    }
  }
  return { ok: true, reason: '', request };
}

// openRequest opens or rewrites the approval issue for this commit, or
// closes it when neither prod stack has anything to change.
async function openRequest({ github, context, plans }) {
  const repo = { owner: context.repo.owner, repo: context.repo.repo };
  const open = await github.paginate(github.rest.issues.listForRepo, { ...repo, state: 'open', labels: LABEL, per_page: 100 });
  const changes = STACKS.some(s => plans[s].changes === 'true');
  const sha = context.sha;
  if (!changes) {
    for (const issue of open) {
      await github.rest.issues.createComment({ ...repo, issue_number: issue.number, body: `Commit \`${sha}\` changes nothing in platform-prod or prod: nothing to approve.` });
      await github.rest.issues.update({ ...repo, issue_number: issue.number, state: 'closed', state_reason: 'not_planned' });
    }
    return null;
  }
  const body = requestBody({
    sha,
    requester: context.actor,
    runUrl: `${context.serverUrl}/${repo.owner}/${repo.repo}/actions/runs/${context.runId}`,
    plans,
  });
  const title = `Approve prod deployment of ${sha.slice(0, 7)}`;
  if (open.length > 0) {
    const issue = open[0];
    await github.rest.issues.update({ ...repo, issue_number: issue.number, title, body });
    await github.rest.issues.createComment({ ...repo, issue_number: issue.number, body: `The request now covers commit \`${sha}\`; approvals of earlier commits no longer count.` });
    return issue.number;
  }
  const created = await github.rest.issues.create({ ...repo, title, body, labels: [LABEL] });
  return created.data.number;
}

module.exports = { LABEL, STACKS, requestBody, parseRequest, approvers, checkApproval, openRequest };
