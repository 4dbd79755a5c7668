"""Full-batch problems solved to convergence: L-BFGS, the loop compiled (weight decay, D2L 4.5).

D2L's runs stop after a fixed number of epochs; practitioners compare with a solver run to
convergence, e.g. scikit-learn's `LogisticRegression(solver="lbfgs")`. `solve_lbfgs` minimises an
objective such as `jaxlin.engine.objective.regularized_objective`'s (mean loss + λ · ½‖w‖²) with
optax's L-BFGS and zoom line search: a `lax.while_loop` in one compiled program, run in chunks of
iterations (`solve_chunks`) so that the caller can show progress and stop between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.tree_util import Partial


class Solution(NamedTuple):
    """What `solve_lbfgs` found: the params reached (shaped like the start), the objective f32[]
    and its gradient's norm there (the `norm` asked for), the L-BFGS iterations run (one line search each),
    whether grad_norm <= tol, and the host's wall seconds of the whole call, tracing and
    compiling included, of which compile_seconds traced and compiled."""

    params: Any
    objective: float
    grad_norm: float
    iterations: int
    converged: bool
    seconds: float
    compile_seconds: float


class SolveProgress(NamedTuple):
    """Where a solve stands after a chunk of iterations (what `solve_chunks` yields): the params
    and optax L-BFGS state reached (on the device), the iterations run so far of at most
    `max_iter`, the objective and gradient norm there (host floats), whether grad_norm <= tol,
    whether the solve has stopped (the last chunk), and the seconds since the call began, of
    which compile_seconds traced and compiled."""

    params: Any
    state: Any
    iterations: int
    max_iter: int
    objective: float
    grad_norm: float
    converged: bool
    done: bool
    seconds: float
    compile_seconds: float

    def solution(self) -> Solution:
        """The `Solution` at this point (the solve's result when `done`)."""
        return Solution(
            self.params, self.objective, self.grad_norm, self.iterations, self.converged, self.seconds,
            self.compile_seconds,
        )  # fmt: skip


def _l2_norm(tree) -> jax.Array:
    """The global L2 norm of a pytree (optax.tree_utils.tree_l2_norm, without its deprecation)."""
    return jnp.sqrt(sum(jnp.vdot(x, x).real for x in jax.tree.leaves(tree)))


def _max_norm(tree) -> jax.Array:
    """The largest absolute component of a pytree: scipy's `pgtol`, scikit-learn's lbfgs `tol`."""
    return jnp.max(jnp.stack([jnp.max(jnp.abs(x)) for x in jax.tree.leaves(tree)]))


NORMS = {"l2": _l2_norm, "max": _max_norm}
CHUNK_SECONDS = 1.0  # a chunk's target length: progress and Ctrl-C are seen this often (each chunk costs ~10 ms)


def _start(objective, params, memory):
    """The loop's first carry: (params, L-BFGS state, value, grad, iterations 0, not stuck)."""
    state = optax.lbfgs(memory_size=memory).init(params)
    value, grad = optax.value_and_grad_from_state(objective)(params, state=state)
    return params, state, value, grad, jnp.int32(0), jnp.bool_(False)


def _chunk(objective, carry, tol, max_iter, stop_at, memory, norm):
    """Run the L-BFGS loop from `carry` until iteration `stop_at` (or tol, max_iter, a stuck step):
    the new carry, and (iterations, objective, gradient norm, converged, stopped) to report."""
    _norm = NORMS[norm]
    solver = optax.lbfgs(memory_size=memory)
    value_and_grad = optax.value_and_grad_from_state(objective)

    def keep_going(carry, until):
        *_, grad, k, stuck = carry
        return (k < until) & (_norm(grad) > tol) & ~stuck

    def step(carry):
        params, state, value, grad, k, _ = carry
        updates, new_state = solver.update(grad, state, params, value=value, grad=grad, value_fn=objective)
        new_params = optax.apply_updates(params, updates)
        new_value, new_grad = value_and_grad(new_params, state=new_state)
        # Near the optimum the line search accepts steps that change the objective by rounding alone
        # (approximate Wolfe, 1e-6 relative); a larger rise or a non-finite value ends the run.
        stuck = ~(new_value <= value + 1e-6 * jnp.abs(value))
        kept = jax.tree.map(
            lambda old, new: jnp.where(stuck, old, new),
            (params, state, value, grad),
            (new_params, new_state, new_value, new_grad),
        )
        return (*kept, k + 1, stuck)

    carry = jax.lax.while_loop(lambda c: keep_going(c, jnp.minimum(stop_at, max_iter)), step, carry)
    grad_norm = _norm(carry[3])
    return carry, (carry[4], carry[2], grad_norm, grad_norm <= tol, ~keep_going(carry, max_iter))


_compiled_start = jax.jit(_start, static_argnames=("memory",))
_compiled_chunk = jax.jit(_chunk, static_argnames=("memory", "norm"))


def _next_size(size: int, iterations: int, seconds: float, target: float | None) -> int:
    """How many iterations the next chunk runs: about `target` seconds at the pace just seen,
    at most 4x the last chunk (one quick chunk is no sure pace); all that are left when no target."""
    if target is None:
        return 2**31 - 1
    pace = seconds / max(iterations, 1)
    return max(1, min(4 * size, int(target / pace) if pace > 0 else 4 * size))


def solve_chunks(
    objective: Callable[[Any], jax.Array],
    params: Any,
    *,
    tol: float = 1e-4,
    max_iter: int = 500,
    memory: int = 10,
    norm: str = "l2",
    chunk_seconds: float | None = CHUNK_SECONDS,
) -> Iterator[SolveProgress]:
    """`solve_lbfgs`'s loop cut into compiled chunks of iterations, yielding a `SolveProgress`
    after each, the last one `done`: the caller's loop shows progress or stops between chunks
    (the solve goes on only when asked for the next). The iterates are those of one call: a chunk
    is the same `lax.while_loop`, only stopped sooner and resumed from its carry.

    The first chunk runs one iteration; each next one about `chunk_seconds` at the pace seen (at
    most 4x the last), so a chunk lasts about that long whatever the problem; 0 runs one
    iteration a chunk, None all of them in one. The arguments are `solve_lbfgs`'s.
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {sorted(NORMS)}, got {norm!r}.")
    objective = objective if isinstance(objective, Partial) else Partial(objective)
    clock = time.perf_counter()
    start = _compiled_start.lower(objective, params, memory=memory).compile()
    carry = start(objective, params)
    chunk = _compiled_chunk.lower(objective, carry, tol, max_iter, 0, memory=memory, norm=norm).compile()
    compile_seconds = time.perf_counter() - clock
    size, done, k = 1, False, 0
    while not done:
        began = time.perf_counter()
        carry, figures = chunk(objective, carry, tol, max_iter, min(k + size, max_iter))
        iterations, value, grad_norm, converged, done = jax.device_get(figures)  # the one wait a chunk
        now = time.perf_counter()
        yield SolveProgress(
            carry[0], carry[1], int(iterations), max_iter, float(value), float(grad_norm), bool(converged), bool(done),
            now - clock, compile_seconds,
        )  # fmt: skip
        size, k = _next_size(size, int(iterations) - k, now - began, chunk_seconds), int(iterations)


def solve_lbfgs(
    objective: Callable[[Any], jax.Array],
    params: Any,
    *,
    tol: float = 1e-4,
    max_iter: int = 500,
    memory: int = 10,
    norm: str = "l2",
    chunk_seconds: float | None = CHUNK_SECONDS,
    on_chunk: Callable[[SolveProgress], Any] | None = None,
) -> Solution:
    """Minimise a smooth full-batch objective with `optax.lbfgs` and its zoom line search, a
    `lax.while_loop` inside one jit, run in chunks of about `chunk_seconds` (`solve_chunks`; the
    same iterates as one call). Stops when the gradient's `norm` is <= `tol`, after
    `max_iter` iterations, or when a step raised the objective beyond rounding or made it
    non-finite (then at the step before, `converged` False).

    Float32 computes the gradient of a mean loss to about 1e-7 (Fashion-MNIST softmax regression,
    λ = 1e-4: float32's norm 2.6e-7 where float64's is 3.8e-7), so a tol of 1e-6 is still reached
    and 1e-7 is not (the run goes on to max_iter). The default 1e-4 leaves room for harder data and
    already puts that objective within 2e-6 relative of its float64 optimum (~750 iterations).

    Args:
      objective: params -> f32[], e.g. `regularized_objective`'s. A `jax.tree_util.Partial` is an
        argument of the compiled loop: its arrays are not baked into the program, and solving
        again with the same function and shapes reuses the compiled loop.
      params: the start, a pytree of float arrays (e.g. {"w": f32[d, q], "b": f32[q]}).
      tol: the gradient norm at which to stop.
      max_iter: the most L-BFGS iterations.
      memory: how many past (step, gradient change) pairs approximate the inverse Hessian.
      norm: what `tol` bounds: "l2" the gradient's global L2 norm, "max" its largest absolute
        component (the stopping rule of scipy's L-BFGS-B and so of scikit-learn's lbfgs `tol`; on
        Fashion-MNIST's 7,850 parameters it is met ~2x sooner, at an objective ~1e-3 relative above).
      chunk_seconds: the length of a chunk (see `solve_chunks`); None for one compiled call.
      on_chunk: called with each chunk's `SolveProgress` (to show progress, or raise to stop).
    """
    for progress in solve_chunks(
        objective, params, tol=tol, max_iter=max_iter, memory=memory, norm=norm, chunk_seconds=chunk_seconds
    ):
        if on_chunk is not None:
            on_chunk(progress)
    return progress.solution()
