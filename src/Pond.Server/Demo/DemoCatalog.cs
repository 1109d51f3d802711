namespace Pond.Server.Demo;

/// <summary>The fixed vocabulary of the demo brand, a women's fashion label selling to 18–35 year olds.</summary>
internal static class DemoCatalog
{
    public const string WorkspaceSlug = "lily";
    public const string WorkspaceName = "莉莉女装 Lily Fashion";
    public const string OwnerEmail = "demo@pond.local";
    public const string StaffEmail = "guide@pond.local";
    public const string AnalystEmail = "analyst@pond.local";
    public const string Password = "pond-demo-2026";
    public const string OfficialAccountAppId = "wx5f1a0c0lilyoa";
    public const string MiniProgramAppId = "wx9d2b7e1lilymp";

    public static readonly string[] Surnames =
        ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高",
         "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "萧", "田", "董", "潘", "袁", "蔡", "蒋", "余"];

    public static readonly string[] FemaleGiven =
        ["婷", "佳怡", "欣怡", "雨萱", "梓涵", "诗涵", "可馨", "语嫣", "思雨", "晓雯", "静怡", "雅琪", "梦瑶", "子涵", "一诺",
         "心怡", "若曦", "紫萱", "艺涵", "嘉欣", "悦", "婉清", "安琪", "清妍", "芷若", "沐晴", "晓彤", "诗琪", "佳琪", "蕾",
         "琳", "颖", "倩", "露", "菲", "雪", "丹", "洁", "晴", "媛"];

    public static readonly string[] MaleGiven = ["浩然", "子轩", "宇航", "俊杰", "明轩", "博文", "天佑", "睿", "磊", "鹏"];

    public static readonly string[] Nicknames =
        ["小仙女", "奶茶续命", "橘子汽水", "momo", "Cathy", "Vivian", "晴天", "Luna", "木木", "一只猫", "Coco", "桃子", "Amy", "小鹿", "Yuki"];

    /// <summary>(city, province, weight): where the brand's customers live.</summary>
    public static readonly (string City, string Province, int Weight)[] Cities =
    [
        ("上海", "上海", 18), ("杭州", "浙江", 12), ("北京", "北京", 10), ("广州", "广东", 9), ("深圳", "广东", 9),
        ("成都", "四川", 8), ("南京", "江苏", 7), ("苏州", "江苏", 6), ("武汉", "湖北", 6), ("长沙", "湖南", 5),
        ("重庆", "重庆", 5), ("西安", "陕西", 4), ("宁波", "浙江", 4), ("厦门", "福建", 3), ("天津", "天津", 3),
    ];

    public static readonly string[] Sizes = ["XS", "S", "M", "L", "XL"];
    public static readonly string[] Styles = ["通勤", "甜美", "休闲", "法式", "运动", "复古"];

    /// <summary>(source channel, weight): how people first reached the pool.</summary>
    public static readonly (string Channel, int Weight)[] Channels =
    [
        ("package_card", 30), ("livestream", 15), ("store_poster", 15), ("kol", 12), ("sms", 10), ("ad", 10), ("referral", 8),
    ];

    public static readonly (string Sku, string Name, string Category, decimal Price)[] Products =
    [
        ("LL-D001", "法式碎花连衣裙", "连衣裙", 399m), ("LL-D002", "缎面吊带长裙", "连衣裙", 459m), ("LL-D003", "针织收腰连衣裙", "连衣裙", 329m),
        ("LL-T001", "纯棉短袖T恤", "上衣", 129m), ("LL-T002", "泡泡袖衬衫", "上衣", 219m), ("LL-T003", "真丝衬衫", "上衣", 499m),
        ("LL-K001", "软糯针织开衫", "针织", 259m), ("LL-K002", "羊毛圆领毛衣", "针织", 389m),
        ("LL-P001", "高腰阔腿裤", "裤装", 219m), ("LL-P002", "直筒牛仔裤", "裤装", 269m), ("LL-P003", "西装九分裤", "裤装", 239m),
        ("LL-S001", "百褶半身裙", "半身裙", 199m), ("LL-S002", "A字牛仔短裙", "半身裙", 169m),
        ("LL-O001", "双面羊绒大衣", "外套", 1299m), ("LL-O002", "短款西装外套", "外套", 599m), ("LL-O003", "轻薄羽绒服", "外套", 699m),
        ("LL-A001", "珍珠发夹套装", "配饰", 59m), ("LL-A002", "真皮托特包", "配饰", 499m), ("LL-A003", "丝巾", "配饰", 149m),
    ];

    public static readonly string[] StaffNames =
        ["林晓雯", "陈思琪", "王佳怡", "赵雅婷", "刘梦瑶", "周欣然", "吴诗涵", "孙语嫣", "黄可馨", "郑婉清", "徐安琪", "何沐晴"];

    public static readonly string[] GroupThemes = ["会员福利群", "新品尝鲜群", "穿搭交流群", "直播秒杀群"];
}
