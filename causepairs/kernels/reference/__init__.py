"""Slow, obvious reference twins of the kernels, one module per kernel family.

They define what each kernel computes, are used by the tests to check the kernels, and are the
baseline the benchmarks compare against. Clarity beats speed here.
"""
