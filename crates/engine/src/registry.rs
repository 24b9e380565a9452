//! The registry of Java objects held for clients: id to object.
//!
//! Ids are Py4J's: `o` and a counter that never repeats, plus the reserved `t` (entry point), `j`
//! (default JVM view) and `GATEWAY_SERVER`. Every returned object gets a new id, even when the same
//! object was returned before (Py4J keeps no identity map, and clients release ids one by one).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;

use crate::classes::ClassInfo;
use crate::jni_raw::Global;

/// One held object.
#[derive(Debug)]
pub struct Entry {
    /// The object.
    pub object: Global,
    /// Its class, filled on first use.
    pub class: OnceLock<Arc<ClassInfo>>,
    /// Set when its id is released (or rebound): holders of the entry (the embedded mode's
    /// proxies) then take the path of a call by id, which fails as a released id does.
    released: AtomicBool,
}

impl Entry {
    /// Whether the id this entry was held under is released.
    pub fn is_released(&self) -> bool {
        self.released.load(Ordering::Relaxed)
    }

    fn release(&self) {
        self.released.store(true, Ordering::Relaxed);
    }
}

const SHARDS: usize = 16;

/// Id to object, sharded to keep threads of different connections apart.
pub struct Registry {
    shards: [RwLock<rustc_hash::FxHashMap<Box<str>, Arc<Entry>>>; SHARDS],
    next: AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            shards: std::array::from_fn(|_| RwLock::new(rustc_hash::FxHashMap::default())),
            next: AtomicU64::new(0),
        }
    }
}

fn shard_of(id: &str) -> usize {
    // FNV-1a: ids are short and this runs on every lookup.
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize % SHARDS
}

impl Registry {
    /// Holds `object` under a new `o<N>` id.
    pub fn insert(&self, object: Global) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("o{n}");
        self.insert_as(&id, object);
        id
    }

    /// Holds `object` under a chosen id (the reserved ones), replacing what was there.
    pub fn insert_as(&self, id: &str, object: Global) {
        let entry = Arc::new(Entry {
            object,
            class: OnceLock::new(),
            released: AtomicBool::new(false),
        });
        let old = self.shards[shard_of(id)].write().insert(id.into(), entry);
        if let Some(old) = old {
            old.release();
        }
    }

    /// The object held under `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.shards[shard_of(id)].read().get(id).cloned()
    }

    /// Releases `id`; the object stays alive while a call still uses it.
    pub fn remove(&self, id: &str) -> bool {
        let removed = self.shards[shard_of(id)].write().remove(id);
        match removed {
            Some(entry) => {
                entry.release();
                true
            }
            None => false,
        }
    }

    /// How many ids are held.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (id, entry) pair, at one moment per shard.
    pub fn snapshot(&self) -> Vec<(String, Arc<Entry>)> {
        let mut out = Vec::new();
        for s in &self.shards {
            out.extend(s.read().iter().map(|(k, v)| (k.to_string(), v.clone())));
        }
        out
    }

    /// Releases everything.
    pub fn clear(&self) {
        for s in &self.shards {
            let drained: Vec<_> = s.write().drain().collect();
            for (_, entry) in &drained {
                entry.release();
            }
            drop(drained);
        }
    }
}
