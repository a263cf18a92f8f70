/**
 * The supervisor's server actors, kept out of its snapshot's `children` record.
 *
 * xstate keeps a machine's children in an immutable record that each spawn and each stop
 * copies (and a stop deletes from, which makes every later copy slow): O(n) per change, so
 * O(n²) over starting or stopping n servers. At 1,000 servers the copies alone took 1.4 s of
 * a shutdown. The pool holds the same actors in a map that the supervisor's actions change in
 * place, as effects:
 *
 * - the supervisor emits `instance.spawn`; the pool creates and starts the actor then, after
 *   the supervisor's step (where xstate starts the children it spawns);
 * - each actor is created with the supervisor as its parent, so its reports, its
 *   `xstate.done.actor.*` and `xstate.error.actor.*` reach the supervisor as from any child,
 *   and it shares the supervisor's system (clock, inspection);
 * - the supervisor lets an actor go with `stopChild(ref)`, as it would a spawned child;
 * - which instances exist stays in the supervisor's context (`instances`): the pool is only
 *   the handle to their actors, as a process table is to the processes.
 *
 * Should the supervisor be stopped from outside (not through its final state, which lets
 * every instance go), each instance still held is told `server.remove`: nothing it started
 * outlives it.
 */
import { createActor, type AnyActor, type AnyActorLogic, type AnyActorRef, type AnyStateMachine } from 'xstate';
import type { ServerActor, ServerInput } from './server.machine.js';

type PoolListener = (instance: string, ref: ServerActor) => void;

/** The supervisor's request for an instance's actor (`start`: send it `server.start` once started). */
export interface SpawnRequest {
  type: 'instance.spawn';
  input: ServerInput;
  start: boolean;
}

export class ServerPool {
  readonly #refs = new Map<string, ServerActor>();
  readonly #listeners = new Set<PoolListener>();

  /**
   * Serve `parent` (the supervisor): create the actors it asks for, and remove the instances
   * still held when it ends.
   */
  constructor(parent: AnyActorRef) {
    parent.on('instance.spawn', (request: SpawnRequest) => this.#spawn(parent, request));
    const removeAll = () => {
      for (const ref of this.#refs.values()) if (ref.getSnapshot().status === 'active') ref.send({ type: 'server.remove' });
      this.#refs.clear();
    };
    parent.subscribe({ complete: removeAll, error: removeAll });
  }

  /** The live actor of an instance, if it has one. */
  get(instance: string): ServerActor | undefined {
    return this.#refs.get(instance);
  }

  /** Instance ids with an actor, in the order they were created. */
  instances(): string[] {
    return [...this.#refs.keys()];
  }

  /** The live actors of these instances, in their order (instances without one are skipped). */
  refsOf(instances: Iterable<string>): ServerActor[] {
    const refs: ServerActor[] = [];
    for (const instance of instances) {
      const ref = this.#refs.get(instance);
      if (ref) refs.push(ref);
    }
    return refs;
  }

  /** Every actor held, in the order they were created. */
  refs(): ServerActor[] {
    return [...this.#refs.values()];
  }

  get size(): number {
    return this.#refs.size;
  }

  /**
   * Call `listener` with each actor the pool creates from now on, before the actor starts
   * (so its first snapshot can be seen). Returns the unsubscribe function.
   */
  onAdded(listener: PoolListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Create and start the actor of an instance under `parent`, with the logic the parent's
   * machine knows as `server` (so `supervisorMachine.provide({ actors: { server } })` holds).
   */
  #spawn(parent: AnyActorRef, { input, start }: SpawnRequest): void {
    // the supervisor is an `Actor`, which carries its (provided) logic
    const machine = (parent as AnyActor).logic as AnyStateMachine;
    const logic = machine.implementations.actors['server'] as AnyActorLogic;
    const ref = createActor(logic, { parent, id: input.instance, input }) as unknown as ServerActor;
    this.#refs.set(input.instance, ref);
    for (const listener of this.#listeners) listener(input.instance, ref);
    ref.start();
    if (start) ref.send({ type: 'server.start' });
  }

  /** Forget an instance's actor (after its parent stopped it), if it is still this one. */
  delete(instance: string, ref: AnyActorRef): void {
    if (this.#refs.get(instance) === ref) this.#refs.delete(instance);
  }

  /** Forget every actor (after its parent stopped them all). */
  clear(): void {
    this.#refs.clear();
  }

  /** In a serialized snapshot (inspection tools), the instances held. */
  toJSON(): { instances: string[] } {
    return { instances: this.instances() };
  }
}
