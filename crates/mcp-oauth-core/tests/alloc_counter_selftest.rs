//! The counting allocator used by the zero-allocation tests must itself see allocations, or a
//! "zero allocations" result would prove nothing.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[test]
fn counter_sees_heap_allocations() {
    let (v, n) = counting_alloc::allocations(|| std::hint::black_box(vec![1u8; 64]));
    assert_eq!(v.len(), 64);
    assert!(n >= 1, "a Vec allocation was not counted");
    let ((), n) = counting_alloc::allocations(|| {
        std::hint::black_box([0u8; 64]);
    });
    assert_eq!(n, 0, "a stack array was counted as a heap allocation");
}
