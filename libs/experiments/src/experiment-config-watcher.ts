import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseExperimentsConfig, type ExperimentsConfig } from './experiment-config.js';

export interface ExperimentConfigWatcherOptions {
  /** Called with each newly loaded config (not the first one). */
  readonly onReload?: (config: ExperimentsConfig) => void;
  /** Called when an edit is unreadable or invalid; the previous config stays in force. */
  readonly onError?: (error: unknown) => void;
  /** Waits this long after the last change before reading, ms. Default 50. */
  readonly debounceMs?: number;
}

/**
 * Holds the experiment config from a file and reloads it when the file changes, without a
 * restart. Watches the file's directory rather than the file: editors and Kubernetes
 * ConfigMap volumes replace the file (rename, symlink swap), which a watch on the old inode
 * would never see. A bad edit keeps the last good config and is reported to `onError`.
 */
export class ExperimentConfigWatcher {
  private config: ExperimentsConfig;
  private lastText: string;
  private lastErrorValue: unknown;
  private reloads = 0;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    initial: { config: ExperimentsConfig; text: string },
    private readonly options: ExperimentConfigWatcherOptions,
  ) {
    this.config = initial.config;
    this.lastText = initial.text;
  }

  /**
   * Loads the file and starts watching it. Throws ExperimentConfigError when the file is
   * invalid at start: a process should not start on a config it cannot read.
   */
  static async open(
    path: string,
    options: ExperimentConfigWatcherOptions = {},
  ): Promise<ExperimentConfigWatcher> {
    const absolute = resolve(path);
    const text = await readFile(absolute, 'utf8');
    const config = parseExperimentsConfig(text, absolute);
    const watcher = new ExperimentConfigWatcher(absolute, { config, text }, options);
    watcher.start();
    return watcher;
  }

  /** The config in force: the last one that loaded without error. */
  current(): ExperimentsConfig {
    return this.config;
  }

  /** The error of the last reload attempt, undefined once a later reload succeeds. */
  lastError(): unknown {
    return this.lastErrorValue;
  }

  /** How many times the config was replaced since open. */
  reloadCount(): number {
    return this.reloads;
  }

  /** Reads the file now (the watcher calls this on change); resolves when done. */
  async reload(): Promise<void> {
    this.reading = this.reading.then(() => this.readOnce());
    return this.reading;
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private start(): void {
    const file = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
      // ConfigMap updates rename `..data`, not the file: any change in the folder may be ours.
      if (name !== null && name !== file && !name.startsWith('..')) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 50);
    });
    this.watcher.on('error', (error) => this.options.onError?.(error));
  }

  private async readOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      // Mid-replacement the file may briefly be missing; the next event reads it again.
      this.fail(error);
      return;
    }
    if (text === this.lastText) return;
    try {
      const config = parseExperimentsConfig(text, this.path);
      this.lastText = text;
      this.config = config;
      this.lastErrorValue = undefined;
      this.reloads += 1;
      this.options.onReload?.(config);
    } catch (error) {
      this.lastText = text;
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    this.lastErrorValue = error;
    this.options.onError?.(error);
  }
}
