//! `PyTree` for `Tensor` and the standard containers.

use super::{PyTree, Subtree, TreeDefBuilder};
use crate::tensor::Tensor;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;

#[track_caller]
#[inline]
fn next_leaf(leaves: &mut dyn Iterator<Item = Tensor>) -> Tensor {
    match leaves.next() {
        Some(t) => t,
        None => panic!("unflatten: ran out of leaves"),
    }
}

impl PyTree for Tensor {
    #[inline]
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        leaves.push(self.clone());
    }
    #[inline]
    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        def.leaf()
    }
    #[inline]
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        def.expect_leaf();
        next_leaf(leaves)
    }
}

impl PyTree for () {
    #[inline]
    fn flatten_into(&self, _leaves: &mut Vec<Tensor>) {}
    #[inline]
    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        def.tuple(|_| {})
    }
    #[inline]
    fn unflatten_from(def: &Subtree, _leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        def.expect_tuple(0);
    }
}

/// `flatten_into` and `treedef_into` of a sequence (`Vec` or array): a list of its elements in
/// order. Only rebuilding differs between the two (an array checks its length).
macro_rules! list_flatten_methods {
    () => {
        #[inline]
        fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
            self.iter().for_each(|x| x.flatten_into(leaves));
        }
        #[inline]
        fn treedef_into(&self, def: &mut TreeDefBuilder) {
            def.list(|b| self.iter().for_each(|x| x.treedef_into(b)))
        }
    };
}

impl<T: PyTree> PyTree for Vec<T> {
    list_flatten_methods!();
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        def.expect_list()
            .map(|d| T::unflatten_from(d, leaves))
            .collect()
    }
}

impl<T: PyTree, const N: usize> PyTree for [T; N] {
    list_flatten_methods!();
    #[track_caller]
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        let mut children = def.expect_list();
        assert_eq!(
            children.len(),
            N,
            "unflatten: a [_; {N}] array cannot be rebuilt from {def}"
        );
        // `from_fn` calls the closure for indices 0, 1, ... in order.
        std::array::from_fn(|_| T::unflatten_from(children.next_child(), leaves))
    }
}

impl<T: PyTree> PyTree for Option<T> {
    #[inline]
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        if let Some(x) = self {
            x.flatten_into(leaves)
        }
    }
    #[inline]
    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        match self {
            Some(x) => def.some(|b| x.treedef_into(b)),
            None => def.none(),
        }
    }
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        def.expect_option().map(|d| T::unflatten_from(d, leaves))
    }
}

/// A box or shared pointer is the tree it points to.
macro_rules! pointer_pytree {
    ($($p:ident),*) => {$(
        impl<T: PyTree> PyTree for $p<T> {
            #[inline]
            fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
                (**self).flatten_into(leaves)
            }
            #[inline]
            fn treedef_into(&self, def: &mut TreeDefBuilder) {
                (**self).treedef_into(def)
            }
            fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
                $p::new(T::unflatten_from(def, leaves))
            }
        }
    )*};
}
pointer_pytree!(Box, Arc);

impl<T: PyTree> PyTree for BTreeMap<String, T> {
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        self.values().for_each(|x| x.flatten_into(leaves));
    }
    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        def.dict(self.keys().cloned().collect(), |b| {
            self.values().for_each(|x| x.treedef_into(b))
        })
    }
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        let (keys, children) = def.expect_dict();
        keys.iter()
            .zip(children)
            .map(|(k, d)| (k.clone(), T::unflatten_from(d, leaves)))
            .collect()
    }
}

fn sorted<T, S>(m: &HashMap<String, T, S>) -> Vec<(&String, &T)> {
    let mut v: Vec<(&String, &T)> = m.iter().collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

impl<T: PyTree, S: BuildHasher + Default> PyTree for HashMap<String, T, S> {
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        sorted(self)
            .into_iter()
            .for_each(|(_, x)| x.flatten_into(leaves));
    }
    fn treedef_into(&self, def: &mut TreeDefBuilder) {
        let items = sorted(self);
        def.dict(items.iter().map(|(k, _)| (*k).clone()).collect(), |b| {
            items.iter().for_each(|(_, x)| x.treedef_into(b))
        })
    }
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        let (keys, children) = def.expect_dict();
        let mut m = HashMap::with_capacity_and_hasher(keys.len(), S::default());
        for (k, d) in keys.iter().zip(children) {
            m.insert(k.clone(), T::unflatten_from(d, leaves));
        }
        m
    }
}

macro_rules! impl_tuple {
    ($n:literal; $($name:ident $idx:tt),+) => {
        impl<$($name: PyTree),+> PyTree for ($($name,)+) {
            #[inline]
            fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
                $(self.$idx.flatten_into(leaves);)+
            }
            #[inline]
            fn treedef_into(&self, def: &mut TreeDefBuilder) {
                def.tuple(|b| { $(self.$idx.treedef_into(b);)+ })
            }
            fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
                let mut c = def.expect_tuple($n);
                ($($name::unflatten_from(c.next_child(), leaves),)+)
            }
        }
    };
}
impl_tuple!(1; A 0);
impl_tuple!(2; A 0, B 1);
impl_tuple!(3; A 0, B 1, C 2);
impl_tuple!(4; A 0, B 1, C 2, D 3);
impl_tuple!(5; A 0, B 1, C 2, D 3, E 4);
impl_tuple!(6; A 0, B 1, C 2, D 3, E 4, F 5);
impl_tuple!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_tuple!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
impl_tuple!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
impl_tuple!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
impl_tuple!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
impl_tuple!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
