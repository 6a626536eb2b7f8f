"""The demo nursery's public disclosure page (信息公示): every section filled in, as version 1."""

from sqlmodel import Session

from nursery_ops.auth.models import Person
from nursery_ops.disclosure.models import DisclosureText, Section

# The fees agree with the demo contracts (nursery_ops.demo.DEMO_FEES).
TEXTS = {
    Section.about: "示范托育机构\n地址：某市某区幸福路 88 号\n服务时间：周一至周五 7:30–17:30（法定节假日休息）\n"
                   "服务类型：全日托、半日托、计时托、临时托；乳儿班、托小班、托大班、混合班，备案托位 60 个。",
    Section.fees: "托育费（按月收取）：全日托 2800 元/月；半日托 1800 元/月\n计时托 40 元/小时（不足 1 小时按 1 小时计）\n"
                  "临时托 160 元/天\n伙食费：20 元/天，按实际出勤天数结算，专款专用，每月公布伙食账目\n"
                  "押金：1000 元，离园时无损坏全额退还\n一次性预收费用不超过 3 个月。",
    Section.refunds: "1. 退托：未使用的预收托育费按剩余服务天数折算退还。\n2. 伙食费：未出勤日全额退还，在下月账单中抵扣。\n"
                     "3. 病假：持医院证明连续请假 5 个服务日及以上的，该期间托育费退还 50%。\n"
                     "4. 因本机构原因停托的，按停托天数全额退还。\n5. 退费在申请之日起 15 日内办结。",
    Section.routine: "7:30–8:30 入园、晨检\n8:30–9:00 早餐\n9:00–10:00 游戏活动\n10:00–11:00 户外活动\n"
                     "11:00–11:30 午餐\n12:00–14:30 午睡\n14:30–15:00 午检、午点\n15:00–16:30 游戏与户外活动\n"
                     "16:30–17:30 离园",
    Section.menu: "周一：小米粥、鸡蛋羹｜软米饭、番茄牛肉、清炒西兰花｜香蕉\n周二：南瓜粥、蒸包｜鸡肉蔬菜面｜苹果\n"
                  "周三：牛奶燕麦、鸡蛋饼｜软米饭、清蒸鱼、炒胡萝卜丝｜梨\n周四：红枣粥、花卷｜虾仁豆腐、菠菜汤｜橙子\n"
                  "周五：山药粥、鸡蛋｜软米饭、肉末茄子、冬瓜汤｜火龙果",
    Section.health_safety: "每日晨检、午检和全日健康观察；体温 37.3 °C 及以上不入园。\n家长委托喂药须签署委托书，按医嘱执行并双人核对。\n"
                           "传染病患儿凭医院返园证明入园。\n玩具、餐具每日消毒；食品留样 48 小时。\n"
                           "入口门禁、全园监控（录像保存 90 天以上）；每月一次消防和安全疏散演练。",
    Section.filing: "托育机构备案号：示例-2026-0001",
    Section.complaints: "园长：李园长 0371-66668888（工作日 8:00–17:00）\n家长委员会：通过班级老师或家委会主任转达\n"
                        "主管部门：所在区卫生健康委员会 12345 政务服务便民热线",
}


def add_demo_disclosure(session: Session, director: Person) -> None:
    session.add_all([DisclosureText(section=section, version=1, body=body, changed_by_id=director.id)
                     for section, body in TEXTS.items()])
    session.flush()
