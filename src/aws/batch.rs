//! Reads that one call answers for many names (DescribeAlarms takes 100 alarm names): the names
//! asked for while the first of them waits to be sent ride in the same call. A plan reads every
//! resource at once, so a fleet's 600 alarms are read in 6 calls instead of 600 (CloudWatch
//! allows 9 DescribeAlarms a second).

use anyhow::Result;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the first read waits for others to join it: a fraction of one round trip.
const GATHER: Duration = Duration::from_millis(5);

type Waiter<T> = (String, oneshot::Sender<Result<Option<T>, String>>);

/// Batches reads by name into calls of at most `max` names.
pub(super) struct Batcher<T> {
    pending: Mutex<Vec<Waiter<T>>>,
    max: usize,
}

impl<T: Clone + Send + 'static> Batcher<T> {
    pub(super) fn new(max: usize) -> Arc<Batcher<T>> {
        Arc::new(Batcher { pending: Mutex::new(Vec::new()), max: max.max(1) })
    }

    /// The value of `name` (`None`: the call did not return it), read by `fetch` together with
    /// the names asked for meanwhile; `fetch` gets at most `max` names and returns what it
    /// found by name.
    pub(super) async fn get<F, Fut>(&self, name: &str, fetch: F) -> Result<Option<T>>
    where
        F: Fn(Vec<String>) -> Fut,
        Fut: Future<Output = Result<HashMap<String, T>>>,
    {
        let (tx, rx) = oneshot::channel();
        let leader = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.push((name.to_string(), tx));
            pending.len() == 1
        };
        if leader {
            tokio::time::sleep(GATHER).await;
            let waiters = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
            let mut waiters = waiters.into_iter().peekable();
            while waiters.peek().is_some() {
                let chunk: Vec<Waiter<T>> = waiters.by_ref().take(self.max).collect();
                let mut names: Vec<String> = chunk.iter().map(|(n, _)| n.clone()).collect();
                names.sort();
                names.dedup();
                match fetch(names).await {
                    Ok(found) => {
                        for (n, tx) in chunk {
                            let _ = tx.send(Ok(found.get(&n).cloned()));
                        }
                    }
                    Err(e) => {
                        let message = format!("{e:#}");
                        for (_, tx) in chunk {
                            let _ = tx.send(Err(message.clone()));
                        }
                    }
                }
            }
        }
        match rx.await {
            Ok(answer) => answer.map_err(anyhow::Error::msg),
            Err(_) => anyhow::bail!("internal error: the batched read of {name} was dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn reads_asked_together_share_calls_of_at_most_max_names() {
        let batcher = Batcher::<usize>::new(100);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let reads = (0..250).map(|i| {
            let batcher = batcher.clone();
            let calls = calls.clone();
            async move {
                let name = format!("alarm-{i}");
                batcher
                    .get(&name, |names| {
                        let calls = calls.clone();
                        async move {
                            calls.lock().unwrap().push(names.len());
                            // Every name but the odd ones exists; its value is its number.
                            Ok(names
                                .iter()
                                .filter_map(|n| {
                                    let i: usize = n.trim_start_matches("alarm-").parse().ok()?;
                                    (i % 2 == 0).then_some((n.clone(), i))
                                })
                                .collect())
                        }
                    })
                    .await
                    .unwrap()
            }
        });
        let answers = futures::future::join_all(reads).await;
        for (i, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer, (i % 2 == 0).then_some(i), "read {i}");
        }
        assert_eq!(*calls.lock().unwrap(), [100, 100, 50]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_call_fails_every_read_it_carried_and_later_reads_call_again() {
        let batcher = Batcher::<u8>::new(100);
        let calls = AtomicUsize::new(0);
        let fetch = |_: Vec<String>| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    anyhow::bail!("Throttling: Rate exceeded")
                }
                Ok(HashMap::from([("a".to_string(), 1u8)]))
            }
        };
        let (a, b) = tokio::join!(batcher.get("a", fetch), batcher.get("b", fetch));
        assert!(a.unwrap_err().to_string().contains("Rate exceeded"));
        assert!(b.is_err());
        assert_eq!(batcher.get("a", fetch).await.unwrap(), Some(1));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
