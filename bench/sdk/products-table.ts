/**
 * The products table of `--app postgres`: 1,000 products in each of the app's five categories,
 * created fresh for each run and dropped after it.
 */
import postgres from "postgres";

const CATEGORIES = ["books", "games", "music", "garden", "tools"];

export async function seedProducts(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await sql`drop table if exists bench_sdk_products`;
    await sql`
      create table bench_sdk_products (
        category text not null,
        id integer not null,
        name text not null,
        price_cents integer not null,
        in_stock boolean not null,
        primary key (category, id)
      )`;
    await sql`
      insert into bench_sdk_products (category, id, name, price_cents, in_stock)
      select c, i, initcap(c) || ' item ' || i, 499 + (i * 37) % 5000, i % 7 <> 0
      from unnest(${sql.array(CATEGORIES)}::text[]) as c, generate_series(1, 1000) as i`;
    await sql`analyze bench_sdk_products`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function dropProducts(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await sql`drop table if exists bench_sdk_products`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
