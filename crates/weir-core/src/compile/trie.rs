//! A byte-wise radix tree answering "which stored prefix is the longest
//! prefix of this path?" in time proportional to the path length, whatever
//! the number of prefixes stored.

/// Longest-prefix map from byte strings to values.
#[derive(Debug, Clone)]
pub struct PrefixTrie<T> {
    nodes: Vec<TrieNode<T>>,
}

#[derive(Debug, Clone)]
struct TrieNode<T> {
    /// Edge label from the parent; empty only for the root.
    label: Box<[u8]>,
    value: Option<T>,
    /// Children sorted by the first byte of their label (unique per node).
    children: Vec<usize>,
}

impl<T> Default for PrefixTrie<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PrefixTrie<T> {
    pub fn new() -> Self {
        Self {
            nodes: vec![TrieNode {
                label: Box::new([]),
                value: None,
                children: Vec::new(),
            }],
        }
    }

    /// True when nothing has been inserted.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1 && self.nodes[0].value.is_none()
    }

    /// Insert `key`, returning the previous value stored under exactly `key`.
    pub fn insert(&mut self, key: &[u8], value: T) -> Option<T> {
        let mut node = 0usize;
        let mut rest = key;
        loop {
            if rest.is_empty() {
                return self.nodes[node].value.replace(value);
            }
            match self.child_index(node, rest[0]) {
                Err(pos) => {
                    let leaf = self.push(rest.into(), Some(value));
                    self.nodes[node].children.insert(pos, leaf);
                    return None;
                }
                Ok(pos) => {
                    let child = self.nodes[node].children[pos];
                    let common = common_prefix(&self.nodes[child].label, rest);
                    if common == self.nodes[child].label.len() {
                        node = child;
                        rest = &rest[common..];
                        continue;
                    }
                    // Split the edge: parent -> mid (common part) -> child.
                    let child_label = std::mem::take(&mut self.nodes[child].label);
                    self.nodes[child].label = child_label[common..].into();
                    let mid = self.push(child_label[..common].into(), None);
                    self.nodes[mid].children.push(child);
                    self.nodes[node].children[pos] = mid;
                    node = mid;
                    rest = &rest[common..];
                }
            }
        }
    }

    /// The value of the longest stored key that is a prefix of `path`, with
    /// that key's length.
    pub fn longest_prefix(&self, path: &[u8]) -> Option<(usize, &T)> {
        let mut node = &self.nodes[0];
        let mut best = node.value.as_ref().map(|v| (0, v));
        let mut pos = 0usize;
        while pos < path.len() {
            let Ok(i) = node
                .children
                .binary_search_by_key(&path[pos], |&c| self.nodes[c].label[0])
            else {
                break;
            };
            let child = &self.nodes[node.children[i]];
            if !path[pos..].starts_with(&child.label) {
                break;
            }
            pos += child.label.len();
            node = child;
            if let Some(v) = &node.value {
                best = Some((pos, v));
            }
        }
        best
    }

    /// The value stored under exactly `key`.
    pub fn get(&self, key: &[u8]) -> Option<&T> {
        match self.longest_prefix(key) {
            Some((len, v)) if len == key.len() => Some(v),
            _ => None,
        }
    }

    /// The value stored under exactly `key`, to change it.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut T> {
        let mut node = 0usize;
        let mut rest = key;
        while !rest.is_empty() {
            let pos = self.child_index(node, rest[0]).ok()?;
            let child = self.nodes[node].children[pos];
            rest = rest.strip_prefix(&*self.nodes[child].label)?;
            node = child;
        }
        self.nodes[node].value.as_mut()
    }

    fn child_index(&self, node: usize, first: u8) -> Result<usize, usize> {
        self.nodes[node]
            .children
            .binary_search_by_key(&first, |&c| self.nodes[c].label[0])
    }

    fn push(&mut self, label: Box<[u8]>, value: Option<T>) -> usize {
        self.nodes.push(TrieNode {
            label,
            value,
            children: Vec::new(),
        });
        self.nodes.len() - 1
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute<'a>(keys: &'a [(String, usize)], path: &str) -> Option<(usize, &'a usize)> {
        keys.iter()
            .filter(|(k, _)| path.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
            .map(|(k, v)| (k.len(), v))
    }

    #[test]
    fn longest_prefix_wins() {
        let mut t = PrefixTrie::new();
        t.insert(b"/user/", 1);
        t.insert(b"/user/admin/", 2);
        t.insert(b"/", 3);
        t.insert(b"/us", 4);
        assert_eq!(t.longest_prefix(b"/user/admin/x"), Some((12, &2)));
        assert_eq!(t.longest_prefix(b"/user/1"), Some((6, &1)));
        assert_eq!(t.longest_prefix(b"/username"), Some((3, &4)));
        assert_eq!(t.longest_prefix(b"/other"), Some((1, &3)));
        assert_eq!(t.longest_prefix(b"x"), None);
        assert_eq!(t.get(b"/us"), Some(&4));
        assert_eq!(t.get(b"/use"), None);
    }

    #[test]
    fn replaces_duplicate_key() {
        let mut t = PrefixTrie::new();
        assert_eq!(t.insert(b"/a", 1), None);
        assert_eq!(t.insert(b"/a", 2), Some(1));
        assert_eq!(t.get(b"/a"), Some(&2));
        *t.get_mut(b"/a").unwrap() = 3;
        assert_eq!(t.get(b"/a"), Some(&3));
        assert_eq!(t.get_mut(b"/"), None);
        assert_eq!(t.get_mut(b"/ab"), None);
    }

    #[test]
    fn empty_key_matches_everything() {
        let mut t = PrefixTrie::new();
        assert!(t.is_empty());
        t.insert(b"", 7);
        assert_eq!(t.longest_prefix(b"/anything"), Some((0, &7)));
        assert!(!t.is_empty());
    }

    /// Compare against a linear scan over many generated keys; the keys share
    /// long common prefixes to exercise edge splitting.
    #[test]
    fn agrees_with_linear_scan() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"/ab_c";
        let word = |n: u64, next: &mut dyn FnMut() -> u64| -> String {
            (0..n)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
                .collect()
        };
        let mut keys = Vec::new();
        let mut t = PrefixTrie::new();
        for i in 0..2000usize {
            let len = next() % 9;
            let k = format!("/{}", word(len, &mut next));
            if t.insert(k.as_bytes(), i).is_some() {
                keys.retain(|(old, _): &(String, usize)| old != &k);
            }
            keys.push((k, i));
        }
        for _ in 0..5000 {
            let len = next() % 12;
            let p = format!("/{}", word(len, &mut next));
            assert_eq!(t.longest_prefix(p.as_bytes()), brute(&keys, &p), "{p}");
        }
    }
}
