import { splitCsvLine } from '@feedmesh/evaluation';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readMovies, readRatings, type Movie, type Rating } from '@feedmesh/evaluation';

/** One free-text tag a user put on a movie (tags.csv). */
export interface MovieTag {
  readonly userId: string;
  readonly itemId: string;
  readonly tag: string;
}

export interface MovieLensContent {
  readonly movies: Map<string, Movie>;
  readonly ratings: Rating[];
  readonly tags: MovieTag[];
}

export async function readMovieLensContent(dataDir: string): Promise<MovieLensContent> {
  const [movies, ratings, tagsText] = await Promise.all([
    readMovies(join(dataDir, 'movies.csv')),
    readRatings(join(dataDir, 'ratings.csv')),
    readFile(join(dataDir, 'tags.csv'), 'utf8'),
  ]);
  return { movies, ratings, tags: parseMovieTags(tagsText) };
}

/** Parses tags.csv (`userId,movieId,tag,timestamp`, tags quoted when they hold commas). */
export function parseMovieTags(text: string, source = 'tags.csv'): MovieTag[] {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trim().toLowerCase() !== 'userid,movieid,tag,timestamp') {
    throw new Error(`${source}:1: expected the header userId,movieId,tag,timestamp`);
  }
  const tags: MovieTag[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const fields = splitCsvLine(line);
    if (fields.length !== 4 || !fields[0] || !fields[1]) {
      throw new Error(
        `${source}:${i + 1}: expected userId,movieId,tag,timestamp, got ${JSON.stringify(line)}`,
      );
    }
    tags.push({ userId: fields[0], itemId: fields[1], tag: fields[2]! });
  }
  return tags;
}

/** A movie title without its trailing "(1995)", and the year when it has one. */
export function splitTitle(title: string): { name: string; year: number | undefined } {
  const match = /^(.*?)\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$/u.exec(title.trim());
  return match
    ? { name: match[1]!, year: Number(match[2]) }
    : { name: title.trim(), year: undefined };
}
