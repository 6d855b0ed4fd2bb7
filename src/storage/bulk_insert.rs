//! Multi-row INSERT statements: the chunking and placeholder numbering that the group-commit
//! writer and the access-token insert share.

/// Multi-row INSERTs are split into power-of-two chunks up to this size, so each connection's
/// prepared-statement cache holds at most a handful of shapes per table.
const MAX_CHUNK: usize = 32;

/// Splits `items` into chunks whose lengths are powers of two no larger than [`MAX_CHUNK`].
pub(super) fn chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let size = MAX_CHUNK.min(1 << items.len().ilog2());
        let (head, tail) = items.split_at(size);
        items = tail;
        Some(head)
    })
}

/// `INSERT INTO <target> VALUES ($1, …), (…)` with `rows` tuples of `columns` placeholders.
pub(super) fn insert_sql(target: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {target} VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_that_cover_every_item_in_order() {
        for len in 0..200usize {
            let items: Vec<usize> = (0..len).collect();
            let parts: Vec<&[usize]> = chunks(&items).collect();
            assert!(
                parts
                    .iter()
                    .all(|p| p.len().is_power_of_two() && p.len() <= MAX_CHUNK)
            );
            assert_eq!(parts.concat(), items, "length {len}");
        }
    }

    #[test]
    fn insert_sql_numbers_placeholders_row_by_row() {
        assert_eq!(
            insert_sql("t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
