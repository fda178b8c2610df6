import type { BlogRecord } from './candidate-store.js';

/** How a reason names a blog: `@name`, or the id of a blog whose BlogCreated was not seen. */
export function blogLabel(blogId: string, blogs: ReadonlyMap<string, BlogRecord>): string {
  const name = blogs.get(blogId)?.name;
  return `@${name || blogId}`;
}
