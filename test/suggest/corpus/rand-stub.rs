//! Just enough of the `rand` crate's API (0.8 and 0.9) for patched files to resolve and type-check.
pub struct ThreadRng;
pub trait Rng {
    fn gen_range<T: Default, R>(&mut self, _range: R) -> T {
        T::default()
    }
    fn random_range<T: Default, R>(&mut self, _range: R) -> T {
        T::default()
    }
}
impl Rng for ThreadRng {}
pub fn thread_rng() -> ThreadRng {
    ThreadRng
}
pub fn rng() -> ThreadRng {
    ThreadRng
}
pub fn random<T: Default>() -> T {
    T::default()
}
pub mod prelude {
    pub use super::Rng;
}
