import { readFile } from 'node:fs/promises';

/** One rating: a user engaged with an item (a movie, a post) at a time. */
export interface Rating {
  readonly userId: string;
  readonly itemId: string;
  readonly rating: number;
  /** Seconds since the epoch, as MovieLens writes them. */
  readonly timestamp: number;
}

export interface Movie {
  readonly itemId: string;
  readonly title: string;
  /** MovieLens genres ("Adventure", "Sci-Fi"); empty for "(no genres listed)". */
  readonly genres: readonly string[];
}

/**
 * Parses a ratings CSV with the header `user_id,item_id,rating,timestamp` (this project's
 * split files) or MovieLens's `userId,movieId,rating,timestamp`. Throws naming the line of the
 * first malformed row, or when there is no row at all.
 */
export function parseRatings(text: string, source = 'ratings'): Rating[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().toLowerCase();
  if (
    header !== 'user_id,item_id,rating,timestamp' &&
    header !== 'userid,movieid,rating,timestamp'
  ) {
    throw new Error(
      `${source}:1: expected the header user_id,item_id,rating,timestamp (or MovieLens's userId,movieId,rating,timestamp), got ${JSON.stringify(lines[0] ?? '')}`,
    );
  }
  const ratings: Rating[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [userId, itemId, rating, timestamp, ...rest] = line.split(',');
    const value = numberOf(rating);
    const time = numberOf(timestamp);
    if (
      !userId ||
      !itemId ||
      rest.length > 0 ||
      !Number.isFinite(value) ||
      !Number.isFinite(time)
    ) {
      throw new Error(
        `${source}:${i + 1}: expected user,item,rating,timestamp, got ${JSON.stringify(line)}`,
      );
    }
    ratings.push({ userId, itemId, rating: value, timestamp: time });
  }
  // Every evaluation divides by what it read: an empty file would score 0 or NaN, not fail.
  if (ratings.length === 0) throw new Error(`${source}: no ratings, only the header`);
  return ratings;
}

/** A field's number; NaN for a blank one, which Number() would read as 0. */
function numberOf(field: string | undefined): number {
  return field === undefined || field.trim() === '' ? Number.NaN : Number(field);
}

export async function readRatings(path: string): Promise<Rating[]> {
  return parseRatings(await readFile(path, 'utf8'), path);
}

/** Parses MovieLens's movies.csv (`movieId,title,genres`, titles quoted when they hold commas). */
export function parseMovies(text: string, source = 'movies'): Map<string, Movie> {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trim().toLowerCase() !== 'movieid,title,genres') {
    throw new Error(`${source}:1: expected the header movieId,title,genres`);
  }
  const movies = new Map<string, Movie>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const fields = splitCsvLine(line);
    if (fields.length !== 3 || !fields[0]) {
      throw new Error(
        `${source}:${i + 1}: expected movieId,title,genres, got ${JSON.stringify(line)}`,
      );
    }
    const genres = fields[2] === '(no genres listed)' ? [] : fields[2]!.split('|').filter(Boolean);
    movies.set(fields[0], { itemId: fields[0], title: fields[1]!, genres });
  }
  return movies;
}

/**
 * The year in a MovieLens title, "Heat (1995)" → 1995 (a series' "(2007-2013)" → 2007), or
 * undefined when the title has none: the data set's only release date.
 */
export function releaseYearOf(movie: Movie): number | undefined {
  const match = /\((\d{4})(?:[-–]\d{0,4})?\)\s*$/.exec(movie.title);
  return match ? Number(match[1]) : undefined;
}

export async function readMovies(path: string): Promise<Map<string, Movie>> {
  return parseMovies(await readFile(path, 'utf8'), path);
}

/** Fields of one CSV line: commas split, double quotes group, "" is a quote. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The CSV this project writes: `user_id,item_id,rating,timestamp`. */
export function formatRatings(ratings: readonly Rating[]): string {
  const lines = ['user_id,item_id,rating,timestamp'];
  for (const r of ratings) lines.push(`${r.userId},${r.itemId},${r.rating},${r.timestamp}`);
  return `${lines.join('\n')}\n`;
}
