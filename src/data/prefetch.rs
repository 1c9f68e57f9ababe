//! Reading ahead on a background thread through a bounded channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Runs `iter` on a background thread, at most `depth` items ahead of the consumer (a
/// bounded channel; `depth` 0 is taken as 1). The items arrive in order; a panic on the
/// thread is re-raised on the consumer's; dropping the [`Prefetch`] stops the thread (it
/// finishes the item in hand, then exits) and waits for it.
///
/// ```
/// let items: Vec<u32> = ferrax::data::prefetch(0..5u32, 2).collect();
/// assert_eq!(items, vec![0, 1, 2, 3, 4]);
/// ```
pub fn prefetch<I>(iter: I, depth: usize) -> Prefetch<I::Item>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    let (tx, rx) = sync_channel(depth.max(1));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::Builder::new()
        .name("ferrax-prefetch".into())
        .spawn(move || {
            for item in iter {
                if flag.load(Ordering::Relaxed) || tx.send(item).is_err() {
                    break;
                }
            }
        })
        .expect("data::prefetch: could not spawn the prefetch thread");
    Prefetch {
        rx: Some(rx),
        stop,
        handle: Some(handle),
    }
}

/// The consumer's end of [`prefetch`].
pub struct Prefetch<T> {
    rx: Option<Receiver<T>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl<T> Iterator for Prefetch<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self.rx.as_ref()?.recv() {
            Ok(item) => Some(item),
            Err(_) => {
                // The producer is done (or panicked): join it, re-raising a panic here.
                self.rx = None;
                if let Some(h) = self.handle.take()
                    && let Err(payload) = h.join()
                {
                    std::panic::resume_unwind(payload);
                }
                None
            }
        }
    }
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the receiver makes a blocked `send` fail, so the thread can exit.
        self.rx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
