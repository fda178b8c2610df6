import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import {
  ASK_AT,
  FUSION_KS,
  parseSourceWeights,
  replayFusion,
  runCandidateEval,
  runCandidateEvalDraws,
  tuneFusion,
} from '@feedmesh/candidate-generation';
import { FeedmeshError } from '@feedmesh/errors';
import { runColdStartEval, runTagInferenceEval } from '@feedmesh/content';
import { runRecommend, runRecsEval } from '@feedmesh/recs-eval';
import { runCranfieldEval } from '@feedmesh/search';
import { UsageError } from '../cli-errors.js';
import { write, type CliIo } from '../cli-io.js';
import {
  collect,
  existingDir,
  existingFile,
  integerIn,
  integerList,
  numberIn,
  numberList,
  outputFile,
  seedList,
} from '../option-parsers.js';

const MOVIELENS_FILES = ['ratings.csv', 'movies.csv'] as const;
/** Width of a `candidates-draws` cell, `0.1234 ± 0.0012 [0.1220, 0.1250]` and two blanks. */
const DRAW_CELL = 34;
import { fixed, printReport } from './report-output.js';

/** `feedmesh eval <what>`: offline evaluations on the data sets in ../shared/data. */
export function registerEvalCommand(program: Command, io: CliIo): void {
  const evaluate = program
    .command('eval')
    .description('offline evaluations (../shared/data/README.md)');

  evaluate
    .command('search')
    .description(
      'index Cranfield through the real search engine, run its 225 queries, score the run',
    )
    .requiredOption(
      '--cranfield <dir>',
      'the Cranfield folder (cran.all.1400, cran.qry, cranqrel)',
      existingDir('cran.all.1400', 'cran.qry', 'cranqrel'),
    )
    .option(
      '--run <file>',
      'write the run: query_number<TAB>doc_id per line, in rank order',
      outputFile,
    )
    .option('--no-feedback', 'plain BM25F, without RM3 pseudo-relevance feedback')
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runCranfieldEval({
        dir: options.cranfield,
        runPath: options.run,
        feedback: options.feedback,
      });
      await printReport(io, report, options, () => [
        `Cranfield: ${report.documents} documents, ${report.queries} queries` +
          (report.judgedQueries < report.queries
            ? `, of which ${report.judgedQueries} judged (the scores are over those)`
            : '') +
          ` (feedback ${report.settings.feedback ? 'on' : 'off'})`,
        `MAP      ${fixed(report.map)}   (Xapian BM25 0.3005)`,
        `P@10     ${fixed(report.precisionAt10)}   (Xapian BM25 0.2324)`,
        `nDCG@10  ${fixed(report.ndcgAt10)}   (Xapian BM25 0.3527)`,
        ...(report.runPath ? [`run written to ${report.runPath}`] : []),
      ]);
    });

  evaluate
    .command('candidates')
    .description(
      'replay the training ratings as events through candidate generation; recall@K of the ' +
        'test ratings per source and for the union (make the files with `feedmesh data split`)',
    )
    .requiredOption('--train <file>', 'training ratings CSV', existingFile)
    .requiredOption('--test <file>', 'test ratings CSV', existingFile)
    .option(
      '--movies <file>',
      "MovieLens movies.csv: a movie's genres become its post's tags",
      existingFile,
    )
    .option('--users <n>', 'only the first N test users (a quick run)', integerIn(1, 10_000_000))
    .option('--source <name>', 'measure this source alone (repeatable; default all)', collect)
    .option(
      '--lists <file>',
      "write each test user's list from every source alone and their test items (JSON lines)",
      outputFile,
    )
    .option(
      '--weights <list>',
      'fusion weights of the union, e.g. session=2,popular=0.2 (default the for-you ones)',
      sourceWeights,
    )
    .option(
      '--source-depth <n>',
      'the union asks every source for n times as many candidates as it keeps (default 1)',
      numberIn(1, 20),
    )
    .option(
      '--union-per-k',
      'ask for the union once per K instead of once at the largest K read at each',
    )
    .addOption(
      new Option(
        '--ask-at <when>',
        "when each user is asked: 'end' of the training data, or 'last-activity' (their last " +
          'training rating: movies released later are not candidates yet; needs --movies)',
      )
        .choices(ASK_AT)
        .default('end' as const),
    )
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      if (options.askAt === 'last-activity' && !options.movies) {
        throw new UsageError(
          '--ask-at last-activity needs --movies (release years are in the titles)',
        );
      }
      const report = await runCandidateEval({
        askAt: options.askAt,
        unionPerK: options.unionPerK ?? false,
        listsPath: options.lists,
        sourceDepth: options.sourceDepth,
        weights: options.weights,
        train: options.train,
        test: options.test,
        movies: options.movies,
        users: options.users,
        sources: options.source,
        progress: (line) => void write(io.stderr, `${line}\n`),
      });
      await printReport(io, report, options, () => [
        `${report.data.users} test users, ${report.data.trainRatings} training ratings,` +
          ` ${report.data.items} items`,
        report.askAt.when === 'end'
          ? 'asked at the end of the training data'
          : `asked as of each user's last training rating (${report.askAt.unreleasedPerUser} movies a user not released yet then)`,
        `${'source'.padEnd(16)}${report.ks.map((k) => `recall@${k}`.padStart(13)).join('')}`,
        ...Object.entries(report.recall).map(
          ([source, byK]) =>
            `${source.padEnd(16)}${report.ks.map((k) => fixed(byK[`@${k}`] ?? 0).padStart(13)).join('')}`,
        ),
        'for scale (ml-latest-small): most popular 0.583 @500, 0.743 @1000; EASE 0.741, 0.829',
        'one draw of the split: `eval candidates-draws --data DIR` gives the spread over several',
        ...(report.listsPath
          ? [
              `per-source lists written to ${report.listsPath}:` +
                ` \`eval fusion --lists ${report.listsPath}\` fuses them again under other weights`,
            ]
          : []),
      ]);
    });

  evaluate
    .command('candidates-draws')
    .description(
      '`eval candidates` on several random draws of the split of a MovieLens folder (one per ' +
        'seed): recall@K per source and for the union as mean, standard deviation and range',
    )
    .requiredOption(
      '--data <dir>',
      'the MovieLens folder (ratings.csv, movies.csv): split once per seed',
      existingDir(...MOVIELENS_FILES),
    )
    .addOption(
      new Option('--seeds <list>', 'the split seeds, comma-separated, two or more')
        .argParser(seedList)
        .default([42, 1, 2, 3, 4], '42,1,2,3,4'),
    )
    .option('--users <n>', 'only the first N test users (a quick run)', integerIn(1, 10_000_000))
    .option('--source <name>', 'measure this source alone (repeatable; default all)', collect)
    .addOption(
      new Option(
        '--ask-at <when>',
        "when each user is asked: 'end' of the training data, or 'last-activity'",
      )
        .choices(ASK_AT)
        .default('end' as const),
    )
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runCandidateEvalDraws({
        dataDir: options.data,
        seeds: options.seeds,
        askAt: options.askAt,
        users: options.users,
        sources: options.source,
        progress: (line) => void write(io.stderr, `${line}\n`),
      });
      const first = report.draws[0]!;
      await printReport(io, report, options, () => [
        `${report.seeds.length} draws (seeds ${report.seeds.join(', ')}) of ${options.data}:` +
          ` ${first.data.users} test users, ${first.data.items} items in the first;` +
          ` genres from its movies.csv`,
        first.askAt.when === 'end'
          ? 'asked at the end of the training data'
          : "asked as of each user's last training rating",
        `recall@K: mean ± standard deviation over the draws [lowest, highest]`,
        `${'source'.padEnd(16)}${report.ks.map((k) => `@${k}`.padStart(DRAW_CELL)).join('')}`,
        ...Object.entries(report.recall).map(
          ([source, byK]) =>
            `${source.padEnd(16)}` +
            report.ks
              .map((k) => {
                const spread = byK[`@${k}`]!;
                const cell = `${fixed(spread.mean)} ± ${fixed(spread.sd)} [${fixed(spread.min)}, ${fixed(spread.max)}]`;
                return cell.padStart(DRAW_CELL);
              })
              .join(''),
        ),
      ]);
    });

  evaluate
    .command('fusion')
    .description(
      "fuse again the per-source lists of `eval candidates --lists` with the service's merger, " +
        'under other weights or another RRF constant (the union recall@K in seconds), or ' +
        '--tune the weights on half the users and measure them on the other half',
    )
    .requiredOption(
      '--lists <file>',
      'the lists file `eval candidates --lists` wrote',
      existingFile,
    )
    .option(
      '--weights <list>',
      'fusion weights, e.g. session=2,popular=0.2; sources not named keep the for-you ones',
      sourceWeights,
    )
    .option('--rrf-k <n>', 'the reciprocal-rank-fusion constant (default 60)', numberIn(0, 100_000))
    .option(
      '--ks <list>',
      'cut-offs, comma-separated, none deeper than the lists (default 100,500,1000)',
      integerList(1, 100_000),
    )
    .option(
      '--tune',
      "search each source's weight on half the users (from the for-you ones), measure on the " +
        'other half, both ways: what retuning would buy',
    )
    .option(
      '--objective <k>',
      'with --tune: the cut-off to maximize (default the largest)',
      integerIn(1, 100_000),
    )
    .option(
      '--grid <list>',
      'with --tune: the weights tried (default 0,0.1,0.25,0.5,1,1.5,2,3)',
      numberList(0, 1_000),
    )
    .option('--rounds <n>', 'with --tune: passes over the sources (default 1)', integerIn(1, 10))
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const tuneOnly = (['objective', 'grid', 'rounds'] as const).filter(
        (o) => options[o] !== undefined,
      );
      if (!options.tune && tuneOnly.length > 0) {
        throw new UsageError(`${tuneOnly.map((o) => `--${o}`).join(', ')} applies to --tune only`);
      }
      if (options.tune && options.weights) {
        throw new UsageError('--tune starts from the for-you weights; leave out --weights');
      }
      const ks = options.ks ?? FUSION_KS;
      if (options.objective !== undefined && !ks.includes(options.objective)) {
        throw new UsageError(
          `--objective ${options.objective} is not one of --ks (${ks.join(',')})`,
        );
      }
      if (options.tune) {
        const report = await tuneFusion({
          listsPath: options.lists,
          ks: options.ks,
          objective: options.objective,
          grid: options.grid,
          rounds: options.rounds,
          rrfK: options.rrfK,
        });
        const row = (name: string, recall: Readonly<Record<string, number>>) =>
          `${name.padEnd(18)}${report.ks.map((k) => fixed(recall[`@${k}`]!).padStart(10)).join('')}`;
        await printReport(io, report, options, () => [
          `${report.users} users: weights searched on half (recall@${report.objective}), measured on the other half, both ways`,
          `service weights: ${weightList(report.serviceWeights)}`,
          ...report.folds.map((fold, i) => `tuned, half ${i + 1}: ${weightList(fold.weights)}`),
          `${'held-out recall'.padEnd(18)}${report.ks.map((k) => `@${k}`.padStart(10)).join('')}`,
          row('service weights', report.recall.service),
          row('tuned weights', report.recall.tuned),
        ]);
        return;
      }
      const report = await replayFusion({
        listsPath: options.lists,
        weights: options.weights,
        rrfK: options.rrfK,
        ks: options.ks,
      });
      await printReport(io, report, options, () => [
        `${report.users} users, lists ${report.depth} deep, RRF constant ${report.rrfK}`,
        `weights: ${weightList(report.weights)}`,
        `union    ${report.ks.map((k) => `recall@${k} ${fixed(report.recall[`@${k}`]!)}`).join('   ')}`,
      ]);
    });

  evaluate
    .command('cold-start')
    .description(
      'hold out 10% of the movies entirely, learn content from the rest, and rank the held-out ' +
        'movies for each user who rated one by content alone: recall@100 beside baselines',
    )
    .requiredOption(
      '--data <dir>',
      'the ml-latest-small folder (movies.csv, ratings.csv, tags.csv)',
      existingDir(...MOVIELENS_FILES, 'tags.csv'),
    )
    .option('--seed <n>', 'hold-out seed', integerIn(0, 2 ** 32 - 1), 42)
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runColdStartEval({ dataDir: options.data, seed: options.seed });
      const { content, random, mostPopularGenre } = report.methods;
      await printReport(io, report, options, () => [
        `${report.heldOutMovies} held-out movies, ${report.testUsers} users who rated one (seed ${report.seed})`,
        `recall@${report.k}  content ${fixed(content.recallAtK)}, random ${fixed(random.recallAtK)},` +
          ` most popular genre ${fixed(mostPopularGenre.recallAtK)}`,
        `content / the better baseline: ${report.liftOverBestBaseline.toFixed(2)}x (target 3x)`,
      ]);
    });

  evaluate
    .command('tags')
    .description(
      'hold out the tags of 20% of the tagged movies and infer them from title and genres: precision@5',
    )
    .requiredOption(
      '--data <dir>',
      'the ml-latest-small folder (movies.csv, ratings.csv, tags.csv)',
      existingDir(...MOVIELENS_FILES, 'tags.csv'),
    )
    .option('--seed <n>', 'hold-out seed', integerIn(0, 2 ** 32 - 1), 42)
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runTagInferenceEval({ dataDir: options.data, seed: options.seed });
      await printReport(io, report, options, () => [
        `${report.heldOutMovies} of ${report.taggedMovies} tagged movies held out (seed ${report.seed});` +
          ` the best possible precision@${report.k} is ${fixed(report.precisionCeiling)}`,
        ...Object.entries(report.methods).map(
          ([name, method]) =>
            `${name.padEnd(20)} precision@${report.k} ${fixed(method.precisionAtK)},` +
            ` hit rate ${fixed(method.hitRateAtK)}`,
        ),
      ]);
    });

  evaluate
    .command('recs')
    .description(
      'the two-stage recommender (retrievers, then the GBDT ranker the ranker serves): with ' +
        "--train/--out, every training user's top k written as user_id,item_id,rank,score, then " +
        'measured on --test (read only after writing); with --data, nDCG@10, P@10, R@10 and MAP ' +
        "per method on MovieLens's random and temporal splits",
    )
    .option(
      '--train <file>',
      'training ratings: user_id,item_id,rating,timestamp (or MovieLens)',
      existingFile,
    )
    .option(
      '--test <file>',
      'test ratings, read after the recommendations are written',
      existingFile,
    )
    .option('--out <file>', 'where to write user_id,item_id,rank,score (needs --train)', outputFile)
    .option(
      '--movies <file>',
      "MovieLens's movies.csv, for genre and release-year features (with --train; --data reads its own)",
      existingFile,
    )
    .option('--k <n>', 'recommendations per user', integerIn(1, 1_000), 10)
    .option(
      '--data <dir>',
      'the ml-latest-small folder (ratings.csv, movies.csv): split it here',
      existingDir(...MOVIELENS_FILES),
    )
    .addOption(
      new Option(
        '--split <protocol>',
        'with --data, which split protocol; with --train, how the ranker holds out its labels',
      ).choices(['random', 'temporal', 'both'] as const),
    )
    .option('--seed <n>', 'split seed', integerIn(0, 2 ** 32 - 1), 42)
    .option(
      '--users <n>',
      'only the first N users (a quick run; with --data)',
      integerIn(1, 10_000_000),
    )
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      if (options.train !== undefined || options.out !== undefined || options.test !== undefined) {
        if (options.data !== undefined) {
          const given =
            options.train !== undefined
              ? '--train'
              : options.out !== undefined
                ? '--out'
                : '--test';
          throw new UsageError(`--data and ${given} are exclusive`);
        }
        if (options.users !== undefined) {
          throw new UsageError(
            '--users applies to --data; with --train every user is recommended for',
          );
        }
        if (options.train === undefined || options.out === undefined) {
          throw new UsageError('--train and --out go together (and --test, to measure)');
        }
        if (options.split === 'both') {
          throw new UsageError('--split both applies to --data; with --train, random or temporal');
        }
        const report = await runRecommend({
          trainPath: options.train,
          outPath: options.out,
          ...(options.test !== undefined ? { testPath: options.test } : {}),
          ...(options.movies !== undefined ? { moviesPath: options.movies } : {}),
          k: options.k,
          seed: options.seed,
          protocol: options.split ?? 'random',
        });
        await printReport(io, report, options, () => [
          `${report.recommendations} recommendations for ${report.users} users written to` +
            ` ${report.out} in ${(report.wallMs / 1000).toFixed(0)} s` +
            ` (load average ${report.loadAverage.map((v) => v.toFixed(1)).join(' ')})`,
          ...(report.test
            ? [
                `${report.test.path}: ${report.test.users} users, ${report.test.ratings} ratings`,
                `  nDCG@${report.k} ${fixed(report.test.ndcg)}  P ${fixed(report.test.precision)}` +
                  `  R ${fixed(report.test.recall)}  MAP ${fixed(report.test.map)}`,
              ]
            : []),
        ]);
        return;
      }
      if (options.data === undefined) {
        throw new UsageError('give --train and --out (and --test), or --data');
      }
      if (options.movies !== undefined) {
        throw new UsageError(
          '--movies applies to --train; --data reads the movies.csv in its folder',
        );
      }
      const report = await runRecsEval({
        dataDir: options.data,
        split: options.split ?? 'both',
        seed: options.seed,
        k: options.k,
        ...(options.users !== undefined ? { maxUsers: options.users } : {}),
      });
      await printReport(io, report, options, () => [
        `${report.dataset}, seed ${report.seed}, in ${(report.wallMs / 1000).toFixed(0)} s` +
          ` (load average ${report.loadAverage.map((v) => v.toFixed(1)).join(' ')})`,
        ...report.splits.flatMap((split) => [
          `${split.protocol} split: ${split.users} users, ${split.testRatings} test ratings;` +
            ` calibration ECE ${fixed(split.calibration.ece)}, Brier ${fixed(split.calibration.brier)}`,
          ...split.methods.map(
            (m) =>
              `  ${m.method.padEnd(40)} nDCG@${report.k} ${fixed(m.ndcg)}  P ${fixed(m.precision)}` +
              `  R ${fixed(m.recall)}  MAP ${fixed(m.map)}`,
          ),
        ]),
        ...(report.k === 10 && report.splits.some((split) => split.protocol === 'random')
          ? ['for scale (random split): EASE 0.400, most popular 0.210 (../shared/data/README.md)']
          : []),
      ]);
    });
}

/** `--weights session=2,popular=0.2`: the library checks the names and the numbers. */
function sourceWeights(value: string): Record<string, number> {
  try {
    return parseSourceWeights(value);
  } catch (error) {
    if (error instanceof FeedmeshError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** `session 1.5, related 1`. */
function weightList(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([source, weight]) => `${source} ${weight}`)
    .join(', ');
}
