const { runCandidateEval } = await import('/work/main/services/candidate-generation/dist/evaluation/candidate-eval.js');
const r = await runCandidateEval({ train: '/tmp/mlv/train.csv', test: '/tmp/mlv/test.csv', movies: '/work/shared/data/ml-latest-small/movies.csv', ks: [100, 500, 1000, 2000], listsPath: '/tmp/mlv/lists2000.jsonl', progress: (l) => console.error(l) });
console.log(JSON.stringify(r.recall));
