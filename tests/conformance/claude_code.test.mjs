// Smoke test: the real Claude Code CLI completes a tool-use loop through
// kiro-bridge and kiro-sim.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from './harness.mjs';
import { reply, accepted, chatRequests, currentMessage } from './sim_records.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, 'node_modules', '@anthropic-ai', 'claude-code', 'cli-wrapper.cjs');
const CLI_TIMEOUT_MS = 120000;

/** Runs the CLI to completion; resolves {code, signal, stdout, stderr}. */
function runClaude(args, { env, cwd }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-64 * 1024); });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

describe('Claude Code through kiro-bridge', () => {
  let stack;
  before(async () => { stack = await startStack(); });
  after(async () => { await stack?.stop(); });

  test('Claude Code runs a Bash tool call and reports the final answer', { timeout: CLI_TIMEOUT_MS + 30000 }, async () => {
    assert.ok(fs.existsSync(CLI), `Claude Code is not installed at ${CLI} (run npm ci in tests/conformance)`);
    await stack.sim.script({
      match: { hasTools: true, hasToolResults: false }, times: 1,
      response: reply.tool('Bash', { command: 'echo kiro-bridge-smoke', description: 'echo' }),
    });
    await stack.sim.script({
      match: { hasToolResults: true }, times: 1,
      response: reply.text('Done: kiro-bridge-smoke'),
    });

    const home = path.join(stack.dir, 'home');
    const work = path.join(stack.dir, 'work');
    fs.mkdirSync(home);
    fs.mkdirSync(work);
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      ANTHROPIC_BASE_URL: stack.baseURL,
      ANTHROPIC_API_KEY: 'sk-test',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    const run = await runClaude(
      ['-p', 'Run `echo kiro-bridge-smoke` with Bash and tell me what it printed.',
        '--output-format', 'json', '--allowedTools', 'Bash'],
      { env, cwd: work });
    const diagnostics = () => `exit ${run.code}/${run.signal}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}\n${stack.logs()}`;
    assert.equal(run.code, 0, diagnostics());
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    assert.equal(result.type, 'result', diagnostics());
    assert.equal(result.subtype, 'success', diagnostics());
    assert.equal(result.is_error, false, diagnostics());
    assert.match(result.result, /Done: kiro-bridge-smoke/);

    const chats = chatRequests(await stack.sim.requests());
    const withResults = chats.filter((c) => (currentMessage(c).userInputMessageContext?.toolResults ?? []).length > 0);
    assert.ok(withResults.length >= 1, `no request carried a toolResult: ${chats.length} chat requests`);
    const toolResults = currentMessage(withResults[0]).userInputMessageContext.toolResults;
    // Bash really ran: its output, not the command line, came back.
    assert.equal(toolResults[0].content.map((c) => c.text ?? '').join('').trim(), 'kiro-bridge-smoke');
    assert.equal(toolResults[0].status, 'success');
    for (const c of chats) assert.ok(accepted(c), JSON.stringify(c).slice(0, 2000));
  });
});
