// The official Anthropic TypeScript SDK against kiro-bridge, with kiro-sim
// (over TLS) standing in for Kiro.

import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, bridgeFetch, repoRoot } from './harness.mjs';
import { reply, accepted, chatRequests, kiroBody, currentMessage, historyOf, refreshRequests, accountOf } from './sim_records.mjs';

const MODEL = 'claude-sonnet-4-6';
const T = { timeout: 30000 };

// A 1×1 transparent PNG.
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city'],
  },
};
const TIME_TOOL = {
  name: 'get_time',
  description: 'Current time in a time zone',
  input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

function clientFor(stack, extra = {}) {
  return new Anthropic({ baseURL: stack.baseURL, apiKey: 'sk-test', maxRetries: 0, ...extra });
}

/**
 * The bridge's busy workers (inFlight over all accounts), once they are
 * `want` or `ms` have passed. The accounts' counters are reported a few
 * times a second, not at once.
 */
async function busyWorkersAfter(stack, ms, want = 0) {
  const deadline = Date.now() + ms;
  for (;;) {
    const accounts = (await bridgeFetch(stack, '/api/accounts')).body.accounts;
    const busy = accounts.reduce((n, a) => n + a.inFlight, 0);
    if (busy === want || Date.now() >= deadline) return busy;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects every event of an SDK MessageStream, then its final message. */
async function collectStream(stream) {
  const events = [];
  // The SDK keeps mutating message_start's message as its snapshot: copy each event as it arrives.
  for await (const ev of stream) events.push(structuredClone(ev));
  return { events, final: await stream.finalMessage() };
}

/** Reads a raw SSE body into [{event, data}] (data parsed as JSON). */
function parseSse(text) {
  const out = [];
  for (const block of text.split(/\n\n+/)) {
    let event = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (event || data.length) out.push({ event, data: data.length ? JSON.parse(data.join('\n')) : null });
  }
  return out;
}

describe('kiro-bridge through the official SDK', () => {
  let stack;
  let client;
  before(async () => {
    stack = await startStack();
    client = clientFor(stack);
  });
  after(async () => { await stack?.stop(); });
  beforeEach(async () => { await stack.sim.reset(); });

  test('a plain text request returns a complete Anthropic message', T, async () => {
    const msg = await client.messages.create({
      model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'Say hi' }],
    });
    assert.match(msg.id, /^msg_/);
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.model, MODEL);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.stop_sequence, null);
    assert.equal(msg.content.length, 1);
    assert.equal(msg.content[0].type, 'text');
    assert.match(msg.content[0].text, /Hello from kiro-sim\. You said: .*Say hi/);
    assert.ok(msg.usage.input_tokens > 0, `input_tokens ${msg.usage.input_tokens}`);
    assert.ok(msg.usage.output_tokens > 0, `output_tokens ${msg.usage.output_tokens}`);
    const chats = chatRequests(await stack.sim.requests());
    assert.equal(chats.length, 1);
    assert.ok(accepted(chats[0]), JSON.stringify(chats[0]));
  });

  test('a streamed answer arrives as ordered SSE events and matches the final message', T, async () => {
    const text = 'The quick brown fox jumps over the lazy dog, twice over.';
    await stack.sim.script({ times: 1, response: reply.text(text, { chunks: 6 }) });
    const stream = client.messages.stream({
      model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'Tell me about foxes' }],
    });
    const { events, final } = await collectStream(stream);
    const types = events.map((e) => e.type).filter((t) => t !== 'ping');
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'content_block_start');
    const deltas = types.slice(2, -3);
    assert.ok(deltas.length >= 2, `expected several deltas, got ${types.join(',')}`);
    assert.ok(deltas.every((t) => t === 'content_block_delta'), types.join(','));
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    const start = events.find((e) => e.type === 'message_start');
    assert.deepEqual(start.message.content, []);
    assert.ok(start.message.usage.input_tokens > 0);
    const streamed = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
    assert.equal(streamed, text);
    assert.equal(final.content.length, 1);
    assert.equal(final.content[0].text, text);
    assert.equal(final.stop_reason, 'end_turn');
    const delta = events.find((e) => e.type === 'message_delta');
    assert.ok(delta.usage.output_tokens > 0);
  });

  test('a tool call split into fragments arrives as a parsed tool_use input, then the tool_result round trip is accepted', T, async () => {
    const input = { city: 'Paris', unit: 'c' };
    await stack.sim.script({
      match: { hasToolResults: false }, times: 1,
      response: reply.tool('get_weather', input, { fragments: 4 }),
    });
    const messages = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.messages.create({ model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL], messages });
    assert.equal(first.stop_reason, 'tool_use');
    const uses = first.content.filter((b) => b.type === 'tool_use');
    assert.equal(uses.length, 1);
    assert.equal(uses[0].name, 'get_weather');
    assert.deepEqual(uses[0].input, input);
    assert.match(uses[0].id, /\S/);

    await stack.sim.script({ match: { hasToolResults: true }, times: 1, response: reply.text('It is 18 degrees in Paris.') });
    const second = await client.messages.create({
      model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL],
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: uses[0].id, content: '18 C, cloudy' }] },
      ],
    });
    assert.equal(second.stop_reason, 'end_turn');
    assert.equal(second.content[0].text, 'It is 18 degrees in Paris.');

    const chats = chatRequests(await stack.sim.requests());
    assert.equal(chats.length, 2);
    const followUp = chats[1];
    assert.ok(accepted(followUp), JSON.stringify(followUp));
    const results = currentMessage(followUp).userInputMessageContext.toolResults;
    assert.equal(results.length, 1);
    assert.equal(results[0].toolUseId, uses[0].id);
    assert.match(JSON.stringify(results[0].content), /18 C, cloudy/);
    const history = historyOf(followUp);
    const assistantTurns = history.filter((h) => h.assistantResponseMessage);
    const lastAssistant = assistantTurns[assistantTurns.length - 1].assistantResponseMessage;
    assert.deepEqual(lastAssistant.toolUses.map((u) => u.toolUseId), [uses[0].id]);
    assert.deepEqual(lastAssistant.toolUses[0].input, input);
  });

  test('a streamed tool call accumulates input_json_delta fragments into the scripted object', T, async () => {
    const input = { city: 'Reykjavík', unit: 'f', note: 'quotes " and \\ survive' };
    await stack.sim.script({ times: 1, response: reply.tool('get_weather', input, { fragments: 5 }) });
    const stream = client.messages.stream({
      model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Weather in Reykjavík?' }],
    });
    const { events, final } = await collectStream(stream);
    const startIdx = events.findIndex((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
    assert.ok(startIdx >= 0, 'no tool_use content_block_start');
    const block = events[startIdx];
    assert.equal(block.content_block.name, 'get_weather');
    assert.deepEqual(block.content_block.input, {});
    const partials = events
      .filter((e) => e.type === 'content_block_delta' && e.index === block.index)
      .map((e) => { assert.equal(e.delta.type, 'input_json_delta'); return e.delta.partial_json; });
    // The bridge may forward Kiro's fragments as they come or hold the input until it is
    // complete (it does the latter so a cut-off call never reaches the client); either way
    // the concatenation is the whole input.
    assert.ok(partials.length >= 1, 'no input_json_delta');
    assert.deepEqual(JSON.parse(partials.join('')), input);
    assert.equal(final.stop_reason, 'tool_use');
    const use = final.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use.input, input);
    const delta = events.find((e) => e.type === 'message_delta');
    assert.equal(delta.delta.stop_reason, 'tool_use');
  });

  test('two tool calls in one answer become two tool_use blocks with contiguous indexes', T, async () => {
    await stack.sim.script({
      times: 1,
      response: reply.tools([
        { name: 'get_weather', input: { city: 'Oslo' } },
        { name: 'get_time', input: { zone: 'Europe/Oslo' } },
      ]),
    });
    const stream = client.messages.stream({
      model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL, TIME_TOOL],
      messages: [{ role: 'user', content: 'Weather and time in Oslo?' }],
    });
    const { events, final } = await collectStream(stream);
    const uses = final.content.filter((b) => b.type === 'tool_use');
    assert.deepEqual(uses.map((u) => u.name), ['get_weather', 'get_time']);
    assert.deepEqual(uses.map((u) => u.input), [{ city: 'Oslo' }, { zone: 'Europe/Oslo' }]);
    assert.notEqual(uses[0].id, uses[1].id);
    assert.equal(final.stop_reason, 'tool_use');
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e.index);
    assert.deepEqual(starts, final.content.map((_, i) => i));

    await stack.sim.script({
      times: 1,
      response: reply.tools([
        { name: 'get_weather', input: { city: 'Rome' } },
        { name: 'get_time', input: { zone: 'Europe/Rome' } },
      ]),
    });
    const plain = await client.messages.create({
      model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL, TIME_TOOL],
      messages: [{ role: 'user', content: 'Weather and time in Rome?' }],
    });
    assert.deepEqual(plain.content.filter((b) => b.type === 'tool_use').map((u) => u.input),
      [{ city: 'Rome' }, { zone: 'Europe/Rome' }]);
  });

  test('an answer of text, a tool call and more text keeps that order, and its round trip passes strict validation', T, async () => {
    await stack.sim.script({
      times: 1,
      response: reply.tool('get_time', { zone: 'UTC' }, { text: 'Let me look.', thenText: 'Checking the clock.' }),
    });
    const first = await client.messages.create({
      model: MODEL, max_tokens: 256, tools: [TIME_TOOL],
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi! How can I help?' },
        { role: 'user', content: 'What time is it in UTC?' },
      ],
    });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use.input, { zone: 'UTC' });
    assert.deepEqual(first.content.map((b) => b.type), ['text', 'tool_use', 'text']);
    assert.equal(first.content[0].text, 'Let me look.');
    assert.equal(first.content[2].text, 'Checking the clock.');

    const second = await client.messages.create({
      model: MODEL, max_tokens: 256, tools: [TIME_TOOL],
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi! How can I help?' },
        { role: 'user', content: 'What time is it in UTC?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: '12:00' }] }] },
        { role: 'assistant', content: 'It is noon in UTC.' },
        { role: 'user', content: 'Thanks!' },
      ],
    });
    assert.equal(second.stop_reason, 'end_turn');
    const chats = chatRequests(await stack.sim.requests());
    assert.equal(chats.length, 2);
    for (const c of chats) assert.ok(accepted(c), JSON.stringify(c));
    const history = historyOf(chats[1]);
    const results = history.flatMap((h) => h.userInputMessage?.userInputMessageContext?.toolResults ?? []);
    assert.deepEqual(results.map((r) => r.toolUseId), [use.id]);
  });

  test('an image block reaches Kiro as a png image', T, async () => {
    const msg = await client.messages.create({
      model: MODEL, max_tokens: 64,
      messages: [{
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: TINY_PNG } },
          { type: 'text', text: 'What is in this picture?' },
        ],
      }],
    });
    assert.equal(msg.stop_reason, 'end_turn');
    const [chat] = chatRequests(await stack.sim.requests());
    assert.ok(accepted(chat), JSON.stringify(chat));
    const images = currentMessage(chat).images;
    assert.equal(images.length, 1);
    assert.equal(images[0].format, 'png');
    // The sim masks image bytes in its log down to the last four characters.
    assert.equal(images[0].source.bytes, '****' + TINY_PNG.slice(-4));
  });

  test('a system prompt given as a string or as cached blocks reaches Kiro', T, async () => {
    await client.messages.create({
      model: MODEL, max_tokens: 64, system: 'You are a pirate named Blackbeard-7731.',
      messages: [{ role: 'user', content: 'Ahoy' }],
    });
    await client.messages.create({
      model: MODEL, max_tokens: 64,
      system: [
        { type: 'text', text: 'First rule: answer briefly (marker SYS-BLOCK-ONE).' },
        { type: 'text', text: 'Second rule: be kind (marker SYS-BLOCK-TWO).', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const chats = chatRequests(await stack.sim.requests());
    assert.equal(chats.length, 2);
    for (const c of chats) assert.ok(accepted(c), JSON.stringify(c));
    assert.match(JSON.stringify(kiroBody(chats[0])), /Blackbeard-7731/);
    const second = JSON.stringify(kiroBody(chats[1]));
    assert.match(second, /SYS-BLOCK-ONE/);
    assert.match(second, /SYS-BLOCK-TWO/);
    assert.doesNotMatch(second, /cache_control/);
  });

  test('the request Claude Code sends (system role last, adaptive thinking, context management) is answered with 200', T, async () => {
    const fixture = path.join(repoRoot, 'tests', 'fixtures', 'claude-code-request.json');
    const body = JSON.parse(fs.readFileSync(fixture, 'utf8'));
    assert.equal(body.messages[body.messages.length - 1].role, 'system');
    const res = await fetch(`${stack.bridgeUrl}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-api-key': 'sk-test', 'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27',
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    const events = parseSse(text);
    assert.equal(events[0].event, 'message_start');
    assert.equal(events[events.length - 1].event, 'message_stop');
    assert.ok(!events.some((e) => e.event === 'error'), text);
    const [chat] = chatRequests(await stack.sim.requests());
    assert.ok(accepted(chat), JSON.stringify(chat));
  });

  test('a hand-made Claude Code request with defer_loading tools and output_config is answered with 200', T, async () => {
    const res = await bridgeFetch(stack, '/v1/messages?beta=true', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude-opus-5-5', max_tokens: 32000, stream: false,
        system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'List the files', cache_control: { type: 'ephemeral' } }] },
          { role: 'system', content: 'Available agent types: general-purpose.' },
        ],
        tools: [
          { ...WEATHER_TOOL },
          { ...TIME_TOOL, defer_loading: true },
        ],
        thinking: { type: 'adaptive', display: 'omitted' },
        context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
        output_config: { effort: 'high' },
        metadata: { user_id: JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: '11111111-2222-4333-8444-555555555555' }) },
      }),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.type, 'message');
    assert.equal(res.body.stop_reason, 'end_turn');
    const [chat] = chatRequests(await stack.sim.requests());
    assert.ok(accepted(chat), JSON.stringify(chat));
  });

  test('a thinking answer becomes a thinking block followed by a text block', T, async () => {
    await stack.sim.script({ times: 2, response: reply.thinking('Let me weigh 2 and 2 carefully.', 'The answer is 4.') });
    const params = {
      model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    };
    const msg = await client.messages.create(params);
    assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(msg.content[0].thinking, 'Let me weigh 2 and 2 carefully.');
    assert.equal(typeof msg.content[0].signature, 'string');
    assert.equal(msg.content[1].text, 'The answer is 4.');

    const { events, final } = await collectStream(client.messages.stream(params));
    assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(final.content[0].thinking, 'Let me weigh 2 and 2 carefully.');
    assert.equal(final.content[1].text, 'The answer is 4.');
    const deltaTypes = new Set(events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.type));
    assert.ok(deltaTypes.has('thinking_delta'), [...deltaTypes].join(','));
    assert.ok(deltaTypes.has('text_delta'), [...deltaTypes].join(','));
  });

  test('count_tokens answers a positive estimate that grows with the input', T, async () => {
    const small = await client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    const large = await client.messages.countTokens({
      model: MODEL, system: 'Be helpful.', tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Tell me a long story about a lighthouse keeper. '.repeat(200) }],
    });
    assert.deepEqual(Object.keys(small), ['input_tokens']);
    assert.ok(Number.isInteger(small.input_tokens) && small.input_tokens > 0, JSON.stringify(small));
    assert.ok(large.input_tokens > small.input_tokens * 10, `${large.input_tokens} vs ${small.input_tokens}`);
    assert.equal(chatRequests(await stack.sim.requests()).length, 0);
  });

  test('models can be listed and retrieved, and an unknown model id is a NotFoundError', T, async () => {
    const models = [];
    for await (const m of client.models.list({ limit: 1000 })) models.push(m);
    assert.ok(models.length >= 3, `only ${models.length} models`);
    for (const m of models) {
      assert.equal(m.type, 'model');
      assert.match(m.id, /^claude-/);
      assert.equal(typeof m.display_name, 'string');
      assert.ok(!Number.isNaN(Date.parse(m.created_at)), m.created_at);
    }
    assert.ok(models.some((m) => m.id === MODEL), models.map((m) => m.id).join(','));
    const one = await client.models.retrieve(MODEL);
    assert.equal(one.id, MODEL);
    assert.equal(one.type, 'model');
    await assert.rejects(client.models.retrieve('claude-does-not-exist-9'), (err) => {
      assert.ok(err instanceof Anthropic.NotFoundError, String(err));
      assert.equal(err.status, 404);
      assert.equal(err.error.error.type, 'not_found_error');
      return true;
    });
  });

  test('a missing max_tokens is a BadRequestError with a request id', T, async () => {
    await assert.rejects(
      client.messages.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      (err) => {
        assert.ok(err instanceof Anthropic.BadRequestError, String(err));
        assert.equal(err.status, 400);
        assert.equal(err.error.type, 'error');
        assert.equal(err.error.error.type, 'invalid_request_error');
        assert.match(err.error.error.message, /max_tokens/);
        assert.match(err.headers.get('request-id') ?? '', /^req_/);
        assert.equal(err.requestID, err.headers.get('request-id'));
        assert.equal(err.error.request_id, err.headers.get('request-id'));
        return true;
      });
    assert.equal(chatRequests(await stack.sim.requests()).length, 0);
  });

  test('invalid JSON, an unknown route and an oversized body get Anthropic-shaped errors', T, async () => {
    const bad = await bridgeFetch(stack, '/v1/messages', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test' },
      body: '{"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.type, 'error');
    assert.equal(bad.body.error.type, 'invalid_request_error');
    assert.match(bad.headers.get('request-id') ?? '', /^req_/);

    const missing = await bridgeFetch(stack, '/v1/nothing-here', { headers: { 'x-api-key': 'sk-test' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.type, 'error');
    assert.equal(missing.body.error.type, 'not_found_error');
    assert.equal(typeof missing.body.error.message, 'string');

    const huge = '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"' +
      'x'.repeat(32 * 1024 * 1024) + '"}]}';
    const tooLarge = await bridgeFetch(stack, '/v1/messages', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test' }, body: huge,
    });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.type, 'error');
    assert.equal(tooLarge.body.error.type, 'request_too_large');
  });

  test('a prompt Kiro finds too long is a 400 invalid_request_error saying so', T, async () => {
    await stack.sim.script({ times: 5, response: reply.simple('input_too_long') });
    await assert.rejects(
      client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'a very long prompt' }] }),
      (err) => {
        assert.ok(err instanceof Anthropic.BadRequestError, String(err));
        assert.equal(err.error.error.type, 'invalid_request_error');
        assert.match(err.error.error.message, /too long/i);
        return true;
      });
  });

  test('an upstream exception after two chunks surfaces as a stream error, never as success', T, async () => {
    await stack.sim.script({
      times: 1,
      response: reply.exception({ exceptionType: 'InternalServerException', afterChunks: 2, message: 'boom in the middle' }),
    });
    const stream = client.messages.stream({
      model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'Tell me a story' }],
    });
    const seen = [];
    await assert.rejects((async () => {
      for await (const ev of stream) seen.push(ev.type);
      await stream.finalMessage();
    })(), (err) => {
      assert.ok(err instanceof Anthropic.APIError || err instanceof Error, String(err));
      assert.ok(!/aborted/i.test(String(err)), String(err));
      return true;
    });
    assert.equal(seen[0], 'message_start');
    assert.ok(!seen.includes('message_stop'), seen.join(','));
  });

  test('a tool call cut off by the output limit ends with max_tokens and no empty tool_use', T, async () => {
    await stack.sim.script({ times: 2, response: reply.cutTool('get_weather', { city: 'Lisbon', unit: 'c' }) });
    const params = {
      model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather in Lisbon?' }],
    };
    const msg = await client.messages.create(params);
    assert.equal(msg.stop_reason, 'max_tokens');
    for (const b of msg.content.filter((x) => x.type === 'tool_use')) {
      assert.notDeepEqual(b.input, {}, JSON.stringify(msg.content));
    }
    const { final } = await collectStream(client.messages.stream(params));
    assert.equal(final.stop_reason, 'max_tokens');
    for (const b of final.content.filter((x) => x.type === 'tool_use')) {
      assert.notDeepEqual(b.input, {}, JSON.stringify(final.content));
    }
  });

  test('a client that disconnects mid-stream frees its worker for the next request', T, async () => {
    await stack.sim.script({
      match: { contentContains: 'slow-stream-please' }, times: 1,
      response: reply.text('tick '.repeat(200), { chunks: 200, chunkDelayMs: 100 }),
    });
    const controller = new AbortController();
    const stream = client.messages.stream({
      model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'slow-stream-please' }],
    }, { signal: controller.signal });
    let deltas = 0;
    await assert.rejects((async () => {
      for await (const ev of stream) {
        if (ev.type === 'content_block_delta') {
          deltas += 1;
          controller.abort();
        }
      }
    })(), (err) => err instanceof Anthropic.APIUserAbortError || /abort/i.test(String(err)));
    assert.equal(deltas, 1);

    const health = await bridgeFetch(stack, '/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    // The sim would keep streaming for 20 s: the bridge must abort that read
    // and report the worker idle within a few seconds.
    assert.equal(await busyWorkersAfter(stack, 3000), 0, 'a worker is still busy with the abandoned stream');

    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => client.messages.create({
      model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: `quick ${i}` }],
    })));
    for (const a of answers) assert.equal(a.stop_reason, 'end_turn');
    assert.ok(Date.now() - started < 3000, `follow-up requests took ${Date.now() - started} ms`);
  });

  test('a client that gives up on a JSON answer frees its worker too', T, async () => {
    await stack.sim.script({
      match: { contentContains: 'slow-json-please' }, times: 1,
      response: reply.text('tock '.repeat(200), { chunks: 200, chunkDelayMs: 100 }),
    });
    const controller = new AbortController();
    const pending = client.messages.create({
      model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'slow-json-please' }],
    }, { signal: controller.signal });
    assert.equal(await busyWorkersAfter(stack, 2000, 1), 1, 'the slow JSON request shows no busy worker');
    controller.abort();
    await assert.rejects(pending, (err) => err instanceof Anthropic.APIUserAbortError || /abort/i.test(String(err)));

    // The sim would keep answering for 20 s: the bridge must notice the
    // hang-up while it waits, cancel the upstream call and free the worker.
    assert.equal(await busyWorkersAfter(stack, 4000), 0, 'a worker is still busy with the abandoned JSON request');

    const answer = await client.messages.create({
      model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'quick after abort' }],
    });
    assert.equal(answer.stop_reason, 'end_turn');
  });

  test('a client that gives up while the model is still silent frees its worker at once', T, async () => {
    // A model that thinks long before its first byte: the worker waits in a
    // read that only Kiro's answer would end, unless the cancel ends it.
    for (const stream of [false, true]) {
      const words = `silent-${stream ? 'stream' : 'json'}-please`;
      await stack.sim.script({
        match: { contentContains: words }, times: 1,
        response: reply.text('late', { firstByteDelayMs: 30000 }),
      });
      const controller = new AbortController();
      const params = { model: MODEL, max_tokens: 64, stream, messages: [{ role: 'user', content: words }] };
      const pending = client.messages.create(params, { signal: controller.signal });
      assert.equal(await busyWorkersAfter(stack, 2000, 1), 1, 'the silent request shows no busy worker');
      controller.abort();
      await assert.rejects(pending, (err) => err instanceof Anthropic.APIUserAbortError || /abort/i.test(String(err)));
      assert.equal(await busyWorkersAfter(stack, 4000), 0,
        `a worker still waits for the first byte of the abandoned ${stream ? 'stream' : 'JSON request'}`);
    }
  });

  test('a client that leaves a stream during a long pause mid-answer frees its worker within seconds', T, async () => {
    // Nothing is written to the client during the pause (the next ping is
    // 15 s away), so the bridge must look for the hang-up itself.
    await stack.sim.script({
      match: { contentContains: 'pause-mid-answer' }, times: 1,
      response: reply.text('before after', { chunks: 2, chunkDelayMs: 30000 }),
    });
    const controller = new AbortController();
    const stream = client.messages.stream({
      model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'pause-mid-answer' }],
    }, { signal: controller.signal });
    await assert.rejects((async () => {
      for await (const ev of stream) {
        if (ev.type !== 'content_block_delta') continue;
        assert.equal(await busyWorkersAfter(stack, 2000, 1), 1, 'the paused stream shows no busy worker');
        controller.abort();
      }
    })(), (err) => err instanceof Anthropic.APIUserAbortError || /abort/i.test(String(err)));
    assert.equal(await busyWorkersAfter(stack, 4000), 0, 'a worker is still busy with the paused stream');
  });

  test('an expired access token is refreshed and the request retried transparently', T, async () => {
    await stack.sim.expire('acct-a');
    const msg = await client.messages.create({
      model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'after expiry' }],
    });
    assert.equal(msg.stop_reason, 'end_turn');
    const recorded = await stack.sim.requests();
    const refreshes = refreshRequests(recorded);
    assert.ok(refreshes.length >= 1, `no refresh call recorded: ${JSON.stringify(recorded).slice(0, 2000)}`);
    const chats = chatRequests(recorded);
    assert.ok(accepted(chats[chats.length - 1]), JSON.stringify(chats[chats.length - 1]));
  });
});

describe('account failover', () => {
  let stack;
  let client;
  before(async () => {
    stack = await startStack();
    client = clientFor(stack);
  });
  after(async () => { await stack?.stop(); });

  test('an exhausted account is skipped: the request succeeds on the other one and A shows exhausted', T, async () => {
    await stack.sim.script({ match: { account: 'acct-a' }, times: 100, response: reply.simple('quota') });
    const msg = await client.messages.create({
      model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'failover please' }],
    });
    assert.equal(msg.stop_reason, 'end_turn');
    const chats = chatRequests(await stack.sim.requests());
    assert.deepEqual(chats.map(accountOf), ['acct-a', 'acct-b']);
    const accounts = (await bridgeFetch(stack, '/api/accounts')).body.accounts;
    const a = accounts.find((x) => x.id === 'acct-a');
    const b = accounts.find((x) => x.id === 'acct-b');
    assert.equal(a.status, 'exhausted', JSON.stringify(a));
    assert.equal(b.status, 'active', JSON.stringify(b));
    // The next request goes straight to B.
    await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'again' }] });
    const after2 = chatRequests(await stack.sim.requests());
    assert.equal(accountOf(after2[after2.length - 1]), 'acct-b');
    assert.equal(after2.length, 3);
  });
});

describe('every account throttled', () => {
  let stack;
  before(async () => { stack = await startStack(); });
  after(async () => { await stack?.stop(); });

  test('throttling on every account is a RateLimitError naming the cause', T, async () => {
    await stack.sim.script({ times: 100, response: reply.simple('throttle') });
    const client = clientFor(stack);
    await assert.rejects(
      client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
      (err) => {
        assert.ok(err instanceof Anthropic.RateLimitError, String(err));
        assert.equal(err.status, 429);
        assert.equal(err.error.error.type, 'rate_limit_error');
        assert.match(err.error.error.message, /throttl|rate|too many/i);
        assert.match(err.headers.get('retry-after') ?? '', /^\d+$/);
        return true;
      });
  });
});

describe('client API keys', () => {
  let stack;
  before(async () => { stack = await startStack({ apiKeys: ['sk-good'] }); });
  after(async () => { await stack?.stop(); });

  test('a wrong key is an AuthenticationError and the right key is served', T, async () => {
    const params = { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
    await assert.rejects(clientFor(stack, { apiKey: 'sk-wrong' }).messages.create(params), (err) => {
      assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.error.error.type, 'authentication_error');
      return true;
    });
    const msg = await clientFor(stack, { apiKey: 'sk-good' }).messages.create(params);
    assert.equal(msg.stop_reason, 'end_turn');
    const viaBearer = await bridgeFetch(stack, '/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-good' },
      body: JSON.stringify(params),
    });
    assert.equal(viaBearer.status, 200, JSON.stringify(viaBearer.body));
  });
});
