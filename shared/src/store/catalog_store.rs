//! [`CustomerStore`] and [`SkillStore`] over SQL: uniquely named customers and catalog skills.

use async_trait::async_trait;
use uuid::Uuid;

use super::sql_store::*;
use super::statements as sql;
use crate::domain::catalog::{Customer, Skill, name_key};
use crate::domain::events::ChangeEvent;
use crate::params;
use crate::ports::store::{Created, CustomerStore, IdempotencyClaim, SkillStore, StoreError, WithEvent};
use crate::sql::{DbError, Param, SqlValue};

#[async_trait]
impl CustomerStore for SqlStore {
    async fn customer(&self, id: Uuid) -> Result<Option<Customer>, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_CUSTOMER_BY_ID, &params!["id" => id])
            .await?;
        Ok(rows.first().map(customer_from_row).transpose()?)
    }

    async fn list(
        &self,
        text: Option<&str>,
        after: Option<(&str, Uuid)>,
        limit: i64,
    ) -> Result<Vec<Customer>, StoreError> {
        let (first_page, after_key, after_id) = page_after(after);
        let rows = self
            .executor
            .query(
                sql::LIST_CUSTOMERS,
                &params![
                    "any_text" => text.is_none(),
                    "pattern" => like_pattern(text),
                    "first_page" => first_page,
                    "after_key" => after_key,
                    "after_id" => after_id,
                    "limit" => limit + 1,
                ],
            )
            .await?;
        Ok(rows.iter().map(customer_from_row).collect::<Result<_, _>>()?)
    }

    async fn create(
        &self,
        customer: Customer,
        created_by: &str,
        event: ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, Customer>>,
    ) -> Result<Created<Customer>, StoreError> {
        let key = name_key(&customer.name);
        let insert = params![
            "id" => customer.id,
            "name" => &customer.name,
            "name_key" => &key,
            "created_by" => created_by,
            "created_at" => customer.created_at,
        ];
        let named = Named {
            insert: (sql::INSERT_CUSTOMER_IF_NEW, &insert),
            existing: sql::SELECT_CUSTOMER_BY_NAME_KEY,
            key: &key,
            what: "customer",
        };
        let at = customer.created_at;
        self.create_named(at, named, &event, idempotency, None, move |_| customer)
            .await
    }
}

#[async_trait]
impl SkillStore for SqlStore {
    async fn list(&self, after: Option<(&str, Uuid)>, limit: i64) -> Result<Vec<Skill>, StoreError> {
        let (first_page, after_key, after_id) = page_after(after);
        let rows = self
            .executor
            .query(
                sql::LIST_SKILLS,
                &params!["first_page" => first_page, "after_key" => after_key, "after_id" => after_id, "limit" => limit + 1],
            )
            .await?;
        Ok(rows.iter().map(skill_from_row).collect::<Result<_, _>>()?)
    }

    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Skill>, StoreError> {
        // One statement per 50 ids (an opportunity has at most 50 requirements, so one call).
        let mut found = Vec::new();
        for chunk in ids.chunks(sql::SKILLS_BY_ID_SLOTS.len()) {
            let params: Vec<Param> = sql::SKILLS_BY_ID_SLOTS
                .iter()
                .enumerate()
                .map(|(i, name)| Param {
                    name,
                    value: chunk.get(i).copied().map_or(SqlValue::Null, SqlValue::Uuid),
                })
                .collect();
            let rows = self.executor.query(sql::SELECT_SKILLS_BY_ID, &params).await?;
            for row in &rows {
                let skill = skill_from_row(row)?;
                if !found.iter().any(|s: &Skill| s.id == skill.id) {
                    found.push(skill);
                }
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        skill: Skill,
        created_by: Option<&str>,
        event: ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, WithEvent<Skill>>>,
    ) -> Result<Created<WithEvent<Skill>>, StoreError> {
        let key = name_key(&skill.name);
        let insert = params![
            "id" => skill.id,
            "name" => &skill.name,
            "name_key" => &key,
            "category" => skill.category.as_str(),
            "description" => skill.description.clone(),
            "created_at" => skill.created_at,
            "created_by" => created_by,
        ];
        let named = Named {
            insert: (sql::INSERT_SKILL_IF_NEW, &insert),
            existing: sql::SELECT_SKILL_BY_NAME_KEY,
            key: &key,
            what: "skill",
        };
        let at = skill.created_at;
        self.create_named(
            at,
            named,
            &event,
            idempotency,
            Some(sql::BUMP_CATALOG_VERSION),
            move |stamped| (skill, stamped),
        )
        .await
    }

    async fn catalog_version(&self) -> Result<i64, StoreError> {
        let rows = self.executor.query(sql::SELECT_CATALOG_VERSION, &[]).await?;
        let row = rows
            .first()
            .ok_or_else(|| DbError::Other("the catalog version counter is missing (run the migrations)".into()))?;
        Ok(row.int("version")?)
    }
}
