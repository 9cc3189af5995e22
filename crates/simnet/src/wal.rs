//! A simulated node's consensus write-ahead log, kept in memory. Malachite's file log does its
//! I/O on an OS thread, during which a paused Tokio clock would jump ahead while a vote waits
//! to be logged; this actor answers within its own handler, so simulated time stands still
//! while it works. The differential test below pins it to the file log's behaviour.

use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cairn_bft::{BorshCodec, CairnContext, Height};
use malachitebft_engine::wal::{Msg, WalRef, decode_entry, encode_entry};
use ractor::{Actor, ActorProcessingErr, ActorRef, SpawnErr};

/// What a node's write-ahead log holds, kept by the harness across the node's lives as the
/// file would be on disk.
#[derive(Debug, Default)]
pub(crate) struct WalImage {
    /// The height the log belongs to.
    sequence: u64,
    /// Encoded entries, oldest first.
    entries: Vec<Vec<u8>>,
    /// How many entries the last flush made durable.
    flushed: usize,
    /// Bumped by each crash; an actor of an earlier life no longer touches the log.
    life: u64,
}

/// A node's log, shared by the harness and the actor of the node's current life.
pub(crate) type SharedWal = Arc<Mutex<WalImage>>;

impl WalImage {
    /// What a crash (`kill -9`) leaves: the entries flushed before it. Actors of the crashed
    /// life can no longer write.
    pub(crate) fn crash(&mut self) {
        self.entries.truncate(self.flushed);
        self.life += 1;
    }

    /// Starts the log over for `height`; durable at once, as the file log's reset is.
    fn reset(&mut self, height: Height) {
        self.sequence = height.0;
        self.entries.clear();
        self.flushed = 0;
    }
}

fn lock(wal: &SharedWal) -> MutexGuard<'_, WalImage> {
    wal.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the place of Malachite's file write-ahead-log actor for one life of one node.
pub(crate) struct SimWal;

/// One life's view of the log. `height` mirrors the file log actor's own field, which starts
/// at zero in each life.
pub(crate) struct SimWalState {
    wal: SharedWal,
    life: u64,
    height: Height,
}

impl SimWal {
    pub(crate) async fn spawn(wal: SharedWal) -> Result<WalRef<CairnContext>, SpawnErr> {
        let (actor, _) = Actor::spawn(None, SimWal, wal).await?;
        Ok(actor)
    }
}

#[ractor::async_trait]
impl Actor for SimWal {
    type Msg = Msg<CairnContext>;
    type State = SimWalState;
    type Arguments = SharedWal;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        wal: SharedWal,
    ) -> Result<SimWalState, ActorProcessingErr> {
        let life = lock(&wal).life;
        Ok(SimWalState { wal, life, height: Height(0) })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut SimWalState,
    ) -> Result<(), ActorProcessingErr> {
        state.apply(message);
        Ok(())
    }
}

impl SimWalState {
    /// Answers one request as Malachite's file log does (`engine/src/wal.rs` for the actor's
    /// own height check, `wal/thread.rs` for the log).
    fn apply(&mut self, message: Msg<CairnContext>) {
        let wal = self.wal.clone();
        let mut image = lock(&wal);
        if image.life != self.life {
            return;
        }
        match message {
            Msg::StartedHeight(height, reply) => {
                let mut entries = Vec::new();
                if self.height != height {
                    self.height = height;
                    if image.sequence == height.0 {
                        entries = image
                            .entries
                            .iter()
                            .map(|bytes| decode_entry(&BorshCodec, Cursor::new(bytes)))
                            .collect();
                    } else {
                        image.reset(height);
                    }
                }
                let _ = reply.send(Ok(entries));
            }
            Msg::Reset(height, reply) => {
                self.height = height;
                image.reset(height);
                let _ = reply.send(Ok(()));
            }
            Msg::Append(height, input, reply) => {
                let mut result = Ok(());
                if height == self.height {
                    let mut bytes = Vec::new();
                    result = encode_entry(input, &BorshCodec, &mut bytes).map_err(Into::into);
                    if result.is_ok() && !bytes.is_empty() {
                        image.entries.push(bytes);
                    }
                }
                let _ = reply.send(result);
            }
            Msg::Flush(reply) => {
                image.flushed = image.entries.len();
                let _ = reply.send(Ok(()));
            }
            Msg::Dump => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use cairn_bft::{ConsensusSigner, Vote};
    use k256::ecdsa::SigningKey;
    use malachitebft_app_channel::app::metrics::{Metrics, SharedRegistry};
    use malachitebft_app_channel::app::spawn::{spawn_node_actor, spawn_wal_actor};
    use malachitebft_app_channel::app::types::core::{
        NilOrVal, Round, SignedMessage, Timeout, VoteType,
    };
    use malachitebft_core_consensus::Input;
    use ractor::rpc::CallResult;

    use super::*;

    const CHAIN: u64 = 7;

    fn signer() -> ConsensusSigner {
        ConsensusSigner::new(SigningKey::from_slice(&[3; 32]).expect("key"), CHAIN)
    }

    fn vote(height: u64, round: u32) -> Input<CairnContext> {
        let signer = signer();
        let vote = Vote::new(
            VoteType::Prevote,
            Height(height),
            Round::new(round),
            NilOrVal::Nil,
            signer.address(),
        );
        let signature = signer.sign_digest(vote.signing_hash(CHAIN)).expect("sign");
        Input::Vote(SignedMessage::new(vote, signature))
    }

    fn timeout(round: u32) -> Input<CairnContext> {
        Input::TimeoutElapsed(Timeout::propose(Round::new(round)))
    }

    /// Replayed entries in their encoded form, so two logs' answers compare byte for byte.
    fn encoded(entries: Vec<io::Result<Input<CairnContext>>>) -> Vec<Vec<u8>> {
        entries
            .into_iter()
            .map(|entry| {
                let mut bytes = Vec::new();
                encode_entry(entry.expect("decodable"), &BorshCodec, &mut bytes).expect("encode");
                bytes
            })
            .collect()
    }

    /// One step of a script both logs follow.
    enum Step {
        Started(u64),
        Reset(u64),
        Append(u64, Box<Input<CairnContext>>),
        Flush,
        /// The actor stops and a new one opens the same log (the process restarts cleanly).
        Restart,
    }

    fn acknowledged<E: std::fmt::Debug>(answer: CallResult<Result<(), E>>) {
        assert!(matches!(answer, CallResult::Success(Ok(()))), "not acknowledged");
    }

    /// Sends one step; returns what `StartedHeight` replays.
    async fn send(wal: &WalRef<CairnContext>, step: &Step) -> Option<Vec<Vec<u8>>> {
        match step {
            Step::Started(h) => {
                let answer = wal.call(|r| Msg::StartedHeight(Height(*h), r), None).await;
                match answer.expect("call") {
                    CallResult::Success(Ok(entries)) => return Some(encoded(entries)),
                    _ => panic!("StartedHeight({h}) failed"),
                }
            }
            Step::Reset(h) => {
                acknowledged(wal.call(|r| Msg::Reset(Height(*h), r), None).await.expect("call"))
            }
            Step::Append(h, input) => {
                let input = (**input).clone();
                let answer = wal.call(|r| Msg::Append(Height(*h), input, r), None).await;
                acknowledged(answer.expect("call"));
            }
            Step::Flush => acknowledged(wal.call(Msg::Flush, None).await.expect("call")),
            Step::Restart => {}
        }
        None
    }

    fn script() -> Vec<Step> {
        use Step::*;
        vec![
            Started(1),
            Append(1, Box::new(vote(1, 0))),
            Append(1, Box::new(timeout(0))),
            Flush,
            // Another height than the actor's: ignored.
            Append(2, Box::new(vote(2, 0))),
            // The actor already started this height: nothing to replay.
            Started(1),
            Restart,
            Started(1),
            Append(1, Box::new(vote(1, 1))),
            Restart,
            Started(1),
            // A new height resets the log.
            Started(2),
            Restart,
            Started(1),
            Append(1, Box::new(timeout(1))),
            Flush,
            Reset(3),
            Restart,
            Started(3),
            Append(3, Box::new(vote(3, 0))),
            Flush,
            Restart,
            Started(3),
            Started(4),
            Restart,
            Started(4),
        ]
    }

    #[test]
    fn the_in_memory_log_answers_as_malachites_file_log() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("wal");
            let registry = SharedRegistry::global().with_moniker("simnet-wal-test");
            let (supervisor, _) =
                spawn_node_actor(Metrics::register(&registry)).await.expect("supervisor");
            let open_file =
                || spawn_wal_actor(&CairnContext, BorshCodec, &path, &registry, supervisor.clone());
            let image = SharedWal::default();
            let mut file = open_file().await.expect("file log");
            let mut memory = SimWal::spawn(image.clone()).await.expect("memory log");
            let mut replays = 0;
            for (i, step) in script().iter().enumerate() {
                if let Step::Restart = step {
                    file.stop_and_wait(None, None).await.expect("file log stops");
                    memory.stop_and_wait(None, None).await.expect("memory log stops");
                    // The stopped log's I/O thread lets go of the file's lock a moment after
                    // its actor stops; there is nothing to wait on but the lock itself.
                    let mut attempts = 0;
                    file = loop {
                        match open_file().await {
                            Ok(reopened) => break reopened,
                            Err(e) => {
                                attempts += 1;
                                assert!(attempts < 500, "file log does not reopen: {e}");
                                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                            }
                        }
                    };
                    memory = SimWal::spawn(image.clone()).await.expect("memory log reopens");
                    continue;
                }
                let expected = send(&file, step).await;
                let got = send(&memory, step).await;
                assert_eq!(got, expected, "step {i}");
                replays += usize::from(expected.is_some_and(|e| !e.is_empty()));
            }
            assert_eq!(replays, 3, "the script replays a non-empty log three times");
        });
    }

    #[test]
    fn a_crash_keeps_only_flushed_entries_and_silences_the_old_life() {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let image = SharedWal::default();
            let old = SimWal::spawn(image.clone()).await.expect("log");
            for step in [Step::Started(5), Step::Append(5, Box::new(vote(5, 0))), Step::Flush] {
                send(&old, &step).await;
            }
            send(&old, &Step::Append(5, Box::new(timeout(0)))).await;
            lock(&image).crash();
            // The dead life's actor no longer writes (it gets no answer).
            let late = old.call(|r| Msg::Append(Height(5), timeout(1), r), None).await;
            assert!(!matches!(late, Ok(CallResult::Success(_))));

            let new = SimWal::spawn(image.clone()).await.expect("log");
            let replayed = send(&new, &Step::Started(5)).await.expect("replay");
            assert_eq!(replayed, encoded(vec![Ok(vote(5, 0))]));
        });
    }
}
