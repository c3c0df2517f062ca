#pragma once

// Graceful shutdown: SIGTERM/SIGINT are blocked in every thread (call
// block_termination_signals() first thing in main, before any thread
// starts) and taken synchronously by one thread.

namespace kb {

void block_termination_signals();

/// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int wait_for_termination_signal();

/// Sends SIGTERM to this process (wakes wait_for_termination_signal()).
void request_termination();

/// Starts a detached timer that ends the process with exit code 0 when a
/// drain takes longer than `ms`.
void exit_after_drain_timeout(long long ms);

} // namespace kb
