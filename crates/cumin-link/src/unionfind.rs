//! Disjoint sets over `0..n`, with path halving and union by size.

use rayon::prelude::*;

/// A union-find structure.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// The representative of every element, in element order, found on every core (the
    /// parents are only read: union by size keeps every path short).
    pub fn roots(&self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .into_par_iter()
            .map(|mut x| {
                while self.parent[x as usize] != x {
                    x = self.parent[x as usize];
                }
                x
            })
            .collect()
    }

    /// Joins the sets of `a` and `b`; returns whether they were separate.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Components by breadth-first search, as a reference.
    fn bfs_components(n: usize, edges: &[(u32, u32)]) -> Vec<usize> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b as usize);
            adj[b as usize].push(a as usize);
        }
        let mut comp = vec![usize::MAX; n];
        let mut next = 0;
        for s in 0..n {
            if comp[s] != usize::MAX {
                continue;
            }
            let mut queue = std::collections::VecDeque::from([s]);
            comp[s] = next;
            while let Some(v) = queue.pop_front() {
                for &w in &adj[v] {
                    if comp[w] == usize::MAX {
                        comp[w] = next;
                        queue.push_back(w);
                    }
                }
            }
            next += 1;
        }
        comp
    }

    proptest! {
        #[test]
        fn equals_breadth_first_search(
            n in 1usize..60,
            raw in proptest::collection::vec((0u32..60, 0u32..60), 0..120),
        ) {
            let edges: Vec<(u32, u32)> =
                raw.into_iter().map(|(a, b)| (a % n as u32, b % n as u32)).collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            let reference = bfs_components(n, &edges);
            let roots = uf.roots();
            for a in 0..n {
                prop_assert_eq!(roots[a], uf.find(a as u32));
                for b in 0..n {
                    prop_assert_eq!(
                        uf.find(a as u32) == uf.find(b as u32),
                        reference[a] == reference[b]
                    );
                }
            }
        }
    }
}
