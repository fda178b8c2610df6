import { NotFoundError } from '@feedmesh/errors';
import { parseModelDocument, type ModelDocument } from './model-document.js';
import {
  byNameThenNewest,
  checkModelName,
  CurrentVersionChangedError,
  DanglingCurrentVersionError,
  DEFAULT_MAX_VERSIONS_PER_NAME,
  describeVersion,
  previousVersion,
  PROMOTION_HISTORY_LENGTH,
  versionsToPrune,
  type ModelRegistry,
  type ModelRegistryOptions,
  type ModelVersion,
  type PromoteOptions,
  type Promotion,
  type PublishOptions,
  type StoredModel,
} from './model-registry.js';

interface Entry {
  readonly info: ModelVersion;
  /** Kept serialized, as in Redis: a caller mutating its object cannot change a version. */
  readonly json: string;
}

/** The registry for one process (playground, tests): the same semantics as Redis. */
export class InMemoryModelRegistry implements ModelRegistry {
  private readonly versions = new Map<string, Map<string, Entry>>();
  private readonly sequences = new Map<string, number>();
  private readonly pointers = new Map<string, string>();
  /** Per name, its last promotions, newest first. */
  private readonly promotions = new Map<string, Promotion[]>();
  private readonly maxVersions: number;
  private readonly clock: () => number;

  constructor(options: ModelRegistryOptions = {}) {
    this.maxVersions = options.maxVersionsPerName ?? DEFAULT_MAX_VERSIONS_PER_NAME;
    this.clock = options.clock ?? Date.now;
  }

  async publish(
    name: string,
    model: ModelDocument,
    options: PublishOptions,
  ): Promise<ModelVersion> {
    checkModelName(name);
    const sequence = (this.sequences.get(name) ?? 0) + 1;
    const version = `v${sequence}`;
    const info = describeVersion(name, version, model, options, this.clock());
    this.sequences.set(name, sequence);
    let versions = this.versions.get(name);
    if (versions === undefined) {
      versions = new Map();
      this.versions.set(name, versions);
    }
    versions.set(version, { info, json: JSON.stringify(model) });
    if (options.promote) this.movePointer(name, version, info.publishedAtMs);
    const current = this.pointers.get(name);
    const previous = previousVersion(this.promotions.get(name) ?? [], current);
    for (const old of versionsToPrune(
      [...versions.keys()],
      [current, previous],
      this.maxVersions,
    )) {
      versions.delete(old);
    }
    return info;
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    if (!this.versions.get(name)?.has(version)) {
      throw new NotFoundError('model version', `${name}@${version}`);
    }
    const { expectedCurrent } = options;
    const actual = this.pointers.get(name) ?? null;
    if (expectedCurrent !== undefined && expectedCurrent !== actual) {
      throw new CurrentVersionChangedError(name, expectedCurrent, actual);
    }
    this.movePointer(name, version, this.clock());
  }

  async current(name: string): Promise<ModelVersion | undefined> {
    const version = this.pointers.get(name);
    if (version === undefined) return undefined;
    const entry = this.versions.get(name)?.get(version);
    if (entry === undefined) throw new DanglingCurrentVersionError(name, version, 'metadata');
    return entry.info;
  }

  async currentVersions(): Promise<ReadonlyMap<string, string>> {
    return new Map(this.pointers);
  }

  async list(name?: string): Promise<ModelVersion[]> {
    const names = name === undefined ? [...this.versions.keys()] : [name];
    return names
      .flatMap((n) => [...(this.versions.get(n)?.values() ?? [])].map((e) => e.info))
      .sort(byNameThenNewest);
  }

  async history(name: string): Promise<Promotion[]> {
    return [...(this.promotions.get(name) ?? [])];
  }

  async get(name: string, version: string): Promise<StoredModel | undefined> {
    const entry = this.versions.get(name)?.get(version);
    if (entry === undefined) return undefined;
    return { info: entry.info, model: parseModelDocument(JSON.parse(entry.json)) };
  }

  /** Points `name` at `version` and remembers the move; a pointer already there stays unrecorded. */
  private movePointer(name: string, version: string, atMs: number): void {
    if (this.pointers.get(name) === version) return;
    this.pointers.set(name, version);
    const history = [
      Object.freeze({ version, promotedAtMs: atMs }),
      ...(this.promotions.get(name) ?? []),
    ];
    this.promotions.set(name, history.slice(0, PROMOTION_HISTORY_LENGTH));
  }
}
