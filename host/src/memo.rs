//! A bounded in-memory cache shared between threads: text widths, glyph
//! masks, parsed datasets, job inputs. Past its capacity it starts over
//! instead of tracking recency: every use is a hot set that refills at
//! once, and the bound is only there so odd inputs cannot grow it forever.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

pub(crate) struct BoundedCache<K, V> {
    capacity: usize,
    map: Mutex<HashMap<K, V>>,
}

impl<K: Eq + Hash, V: Clone> BoundedCache<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCache {
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock().get(key).cloned()
    }

    /// Stores `value`; when the cache is full, everything else goes first.
    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.lock();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, V>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_starts_over_past_its_capacity_and_replacing_a_key_does_not_count() {
        let cache = BoundedCache::new(2);
        cache.insert("a".to_string(), 1);
        cache.insert("b".to_string(), 2);
        cache.insert("b".to_string(), 3);
        assert_eq!(
            (cache.get("a"), cache.get("b"), cache.len()),
            (Some(1), Some(3), 2)
        );
        cache.insert("c".to_string(), 4);
        assert_eq!(
            (cache.get("a"), cache.get("c"), cache.len()),
            (None, Some(4), 1)
        );
    }
}
