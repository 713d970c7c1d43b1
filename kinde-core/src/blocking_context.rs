//! Where a blocking call finds itself, for [`crate::blocking`]: inside async code that a
//! Tokio runtime is polling (blocking would stall the runtime), or on a thread that may
//! block even though a runtime is current (`tokio::task::spawn_blocking`, the inside
//! of `block_in_place`, a thread that only entered a runtime's handle). And a way to
//! run a future on such a thread without starting a runtime there.
//!
//! Tokio has no public "is this thread driving tasks" test: `Handle::try_current`
//! succeeds on its blocking-pool threads too, and the functions that know
//! (`Handle::block_on`, `Runtime::block_on`) panic instead of answering. What does
//! differ, observably and without side effects, is the cooperative-scheduling budget:
//! Tokio gives one to every task and `block_on` future it polls, and takes it away for
//! `spawn_blocking` closures and inside `block_in_place`. So that is the test.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::Handle;
use tokio::task::coop::{has_budget_remaining, poll_proceed};

/// Whether this thread is polling a Tokio task or `block_on` future right now, i.e.
/// whether a blocking call here would stall a runtime.
///
/// Spends the budget step by step until it runs out (a budget is at most 255 steps)
/// and then gives all of it back: the task under test sees no difference. Code
/// wrapped in `tokio::task::coop::unconstrained` has no budget and so is not
/// detected; a call from there blocks its thread as any blocking call would, and
/// never panics (see [`drive_here`]).
pub(crate) fn polling_async_code() -> bool {
    if !has_budget_remaining() {
        return true;
    }
    let mut cx = Context::from_waker(Waker::noop());
    // Restores the budget as it was before this probe when dropped.
    let Poll::Ready(original) = poll_proceed(&mut cx) else {
        return true;
    };
    let mut budgeted = false;
    for _ in 0..u8::MAX {
        if !has_budget_remaining() {
            budgeted = true;
            break;
        }
        match poll_proceed(&mut cx) {
            // Keep the step spent; `original` gives everything back at the end.
            Poll::Ready(step) => step.made_progress(),
            Poll::Pending => {
                budgeted = true;
                break;
            }
        }
    }
    drop(original);
    budgeted
}

/// Wakes the thread that is waiting in [`drive_here`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Run `fut` to completion on this thread, parking between polls, with `handle`'s
/// runtime current so the I/O and timers it creates belong to that runtime (whose own
/// worker drives them). Unlike `Runtime::block_on` it does not enter the runtime, so it
/// does not panic on a thread where some other runtime is current.
pub(crate) fn drive_here<F: Future>(handle: &Handle, fut: F) -> F::Output {
    let _current = handle.enter();
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        // A wake-up between the poll and here is not lost: it leaves the thread's
        // unpark token set, and `park` returns at once.
        std::thread::park();
    }
}
